/** The database as Kysely sees it: one interface per table. */
import type { Generated } from "kysely";
import type { RecordRow } from "../core/record.ts";
import type { KeyOutcome, Trigger } from "../core/status.ts";

/** A record as SQLite stores it: flags as 0 and 1 (mapped to booleans in records.ts). */
export type RecordsTable = Omit<RecordRow, "mutable" | "shared" | "lazy"> & {
  mutable: number;
  shared: number;
  lazy: number;
};

export interface ParentsTable {
  child: string;
  position: number;
  parent: string;
}

export interface HoldsTable {
  id: number | null;
  record: string;
  owner: string | null;
  expiresAt: number | null;
  createdAt: number;
}

export interface KeysTable {
  name: string;
  record: string;
  updatedAt: number;
}

export interface MetaTable {
  name: string;
  value: string;
}

export interface LeasesTable {
  id: string;
  expiresAt: number | null;
  createdAt: number;
}

export interface LeaseBlobsTable {
  lease: string;
  digest: string;
}

export interface BlobsTable {
  digest: string;
  mediaType: string;
  size: number;
  diffID: string;
  createdAt: number;
}

export interface BlobHoldsTable {
  digest: string;
  owner: string;
}

/** The status page's tables (migration 004; queries in status.ts). */
export interface UsageSamplesTable {
  id: Generated<number>;
  at: number;
  records: number;
  used: number;
  reclaimable: number;
  metadata: number;
  content: number;
  fsSize: number;
  fsFree: number;
}

export interface PruneRunsTable {
  id: Generated<number>;
  trigger: Trigger;
  policy: number | null;
  /** JSON of the prune's options. */
  options: string;
  startedAt: number;
  finishedAt: number;
  records: number;
  bytes: number;
  runs: Generated<number>;
  error: string | null;
}

export interface KeyLookupsTable {
  id: Generated<number>;
  at: number;
  name: string;
  outcome: KeyOutcome;
  matched: string | null;
}

export interface KeyCountsTable {
  outcome: KeyOutcome;
  count: number;
}

export interface RemoteBlobsTable {
  digest: string;
  repository: string;
  seenAt: number;
}

export interface Database {
  records: RecordsTable;
  parents: ParentsTable;
  holds: HoldsTable;
  keys: KeysTable;
  meta: MetaTable;
  leases: LeasesTable;
  leaseBlobs: LeaseBlobsTable;
  blobs: BlobsTable;
  blobHolds: BlobHoldsTable;
  usageSamples: UsageSamplesTable;
  pruneRuns: PruneRunsTable;
  keyLookups: KeyLookupsTable;
  keyCounts: KeyCountsTable;
  remoteBlobs: RemoteBlobsTable;
}
