/**
 * One transaction's view of the store: each resource's port on the same connection's
 * statements, made when first used (the hot read path touches one or two of them).
 * `now` is read once, so a transaction sees one instant.
 */
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
import type { Statements } from "./statements.ts";

/** What each port of a transaction runs its queries on. */
export interface Conn {
  s: Statements;
  now: number;
}

class SqlTx implements Tx {
  private readonly c: Conn;
  private parts: { -readonly [K in keyof Tx]?: Tx[K] } = {};

  constructor(s: Statements, clock: Clock) {
    this.c = { s, now: clock.now() };
  }

  get records() {
    return (this.parts.records ??= new SqlRecords(this.c));
  }
  get links() {
    return (this.parts.links ??= new SqlLinks(this.c));
  }
  get holds() {
    return (this.parts.holds ??= new SqlHolds(this.c));
  }
  get keys() {
    return (this.parts.keys ??= new SqlKeys(this.c));
  }
  get leases() {
    return (this.parts.leases ??= new SqlLeases(this.c));
  }
  get blobs() {
    return (this.parts.blobs ??= new SqlBlobs(this.c));
  }
  get meta() {
    return (this.parts.meta ??= new SqlMeta(this.c));
  }
  get remoteBlobs() {
    return (this.parts.remoteBlobs ??= new SqlRemoteBlobs(this.c));
  }
}

export const makeTx = (s: Statements, clock: Clock): Tx => new SqlTx(s, clock);
