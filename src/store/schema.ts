/** The database as Kysely sees it: one interface per table. */
import type { RecordRow } from "../core/record.ts";

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
  remoteBlobs: RemoteBlobsTable;
}
