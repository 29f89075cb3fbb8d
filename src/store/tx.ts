/**
 * One transaction's view of the store: each resource's port on the same connection,
 * made when first used (the hot read path touches one or two of them). `now` is read
 * once, so a transaction sees one instant.
 */
import type { Kysely } from "kysely";
import type { Clock } from "../core/ports/host.ts";
import type { Tx } from "../core/ports/metadata.ts";
import { SqlBlobs } from "./blobs.ts";
import { SqlHolds } from "./holds.ts";
import { SqlKeys } from "./keys.ts";
import { SqlLeases } from "./leases.ts";
import { SqlLinks } from "./links.ts";
import { SqlMeta } from "./meta.ts";
import { SqlRecords } from "./records.ts";
import { SqlRemoteBlobs } from "./remote-blobs.ts";
import type { Database } from "./schema.ts";

class SqlTx implements Tx {
  private readonly now: number;
  private parts: { -readonly [K in keyof Tx]?: Tx[K] } = {};

  constructor(private db: Kysely<Database>, clock: Clock) {
    this.now = clock.now();
  }

  get records() {
    return (this.parts.records ??= new SqlRecords(this.db, this.now));
  }
  get links() {
    return (this.parts.links ??= new SqlLinks(this.db));
  }
  get holds() {
    return (this.parts.holds ??= new SqlHolds(this.db, this.now));
  }
  get keys() {
    return (this.parts.keys ??= new SqlKeys(this.db, this.now));
  }
  get leases() {
    return (this.parts.leases ??= new SqlLeases(this.db, this.now));
  }
  get blobs() {
    return (this.parts.blobs ??= new SqlBlobs(this.db, this.now));
  }
  get meta() {
    return (this.parts.meta ??= new SqlMeta(this.db));
  }
  get remoteBlobs() {
    return (this.parts.remoteBlobs ??= new SqlRemoteBlobs(this.db, this.now));
  }
}

export const makeTx = (db: Kysely<Database>, clock: Clock): Tx => new SqlTx(db, clock);
