/**
 * The metadata store: one transaction sees every resource, each behind its own small
 * port (records, links, holds, keys, leases, blobs, meta, remote blobs), as containerd
 * splits its metadata. Nothing a transaction changes is visible to other processes until
 * it ends.
 */
import type { Blobs } from "./blobs.ts";
import type { Holds } from "./holds.ts";
import type { Keys } from "./keys.ts";
import type { Leases } from "./leases.ts";
import type { Meta } from "./meta.ts";
import type { Links, Records } from "./records.ts";
import type { StatusStore } from "../status.ts";
import type { RemoteBlobs } from "./remote-blobs.ts";

export interface Tx {
  readonly records: Records;
  readonly links: Links;
  readonly holds: Holds;
  readonly keys: Keys;
  readonly leases: Leases;
  readonly blobs: Blobs;
  readonly meta: Meta;
  readonly remoteBlobs: RemoteBlobs;
}

export interface MetadataStore {
  /** A read-only snapshot of the store. */
  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Changes whenever anything in the store may have changed, by any process. */
  version(): Promise<string>;
  /** One statement's worth of reading, without a transaction around it (hot paths). */
  query<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** A write transaction, serialized with every other writer in any process. */
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** A write transaction only if the lock is free right now; undefined otherwise. */
  tryWrite<T>(fn: (tx: Tx) => Promise<T>): Promise<T | undefined>;
  /** Bytes used by the database files. */
  size(): number;
  /**
   * The status page's tables (core/status.ts), kept beside the records: written in
   * short transactions of their own, never inside a record's.
   */
  status(): StatusStore;
  close(): Promise<void>;
}
