/**
 * The ports the core talks to. Adapters implement them: `store/` (metadata on SQLite),
 * `snapshot/` (directories), `runtime/` (clock, processes). The core imports no adapter.
 */
import type { RecordRow } from "./record.ts";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Who holds something: this process, and whether another holder still runs. */
export interface Processes {
  /** A token naming this process, stable for its life and never reused (pid + start time). */
  readonly self: string;
  alive(owner: string): boolean;
}

export interface BlobRow {
  digest: string;
  mediaType: string;
  size: number;
  diffID: string;
  createdAt: number;
}

export interface KeyRow {
  name: string;
  record: string;
  updatedAt: number;
}

export interface LeaseRow {
  id: string;
  expiresAt: number | null;
  createdAt: number;
}

/** Hold owners that are leases, not processes: `lease:<id>`. */
export const leaseOwner = (id: string) => `lease:${id}`;
export const isLeaseOwner = (owner: string) => owner.startsWith("lease:");

/**
 * One transaction on the metadata store. Every method sees and changes only what this
 * transaction does; nothing is visible to other processes until it ends.
 */
export interface Tx {
  /** A row in any state, or undefined. */
  record(id: string): Promise<RecordRow | undefined>;
  /** Ready rows, by id, for many ids at once. */
  records(ids: string[]): Promise<RecordRow[]>;
  /** Every ready row. */
  allReady(): Promise<RecordRow[]>;
  insert(row: RecordRow, parents: string[]): Promise<void>;
  update(ids: string[], patch: Partial<RecordRow>): Promise<void>;
  /** Deletes rows with their parent links, holds and keys. */
  delete(ids: string[]): Promise<void>;
  byState(state: "creating" | "deleting"): Promise<RecordRow[]>;
  /** Ordered parents of each id. */
  parents(ids: string[]): Promise<Map<string, string[]>>;
  /** Children of each of `ids` that has any. */
  children(ids: string[]): Promise<Map<string, string[]>>;
  /** The immutable twin committed from a mutable record, if not finalized. */
  twinOf(mutableId: string): Promise<RecordRow | undefined>;
  /** Those of `snapshots` that some row other than `ids` still uses. */
  stillUsed(snapshots: string[], ids: string[]): Promise<Set<string>>;
  /** Every snapshot directory name any row uses, in any state. */
  snapshots(): Promise<Set<string>>;
  /** Removes links to `parents` from their children, which become bases. */
  unlinkParents(parents: string[]): Promise<void>;

  /** Ids among `ids` with a live hold (not expired, owner reaped separately). */
  held(ids: string[]): Promise<Set<string>>;
  /**
   * Ids in use: held themselves, through their twin, or through a held descendant.
   * Only those among `ids` when given, else every one.
   */
  inUse(ids?: string[]): Promise<Set<string>>;
  addHold(record: string, owner: string | null, expiresAt: number | null): Promise<void>;
  /**
   * Ends holds matching the filter. A record left with no live hold has its use
   * counted once: usageCount + 1, lastUsedAt = now.
   */
  endHolds(filter: {
    records?: string[];
    owner?: string | null;
    owners?: string[];
    expired?: true;
    /** Holds with an expiry that are not a lease's. */
    handedOut?: true;
  }): Promise<void>;
  /** Ready rows these owners were making a snapshot for. */
  owned(owners: string[]): Promise<RecordRow[]>;
  /** Distinct owners of holds and of rows being created or materialized. */
  owners(): Promise<string[]>;
  /** Counts a use of records nobody holds. */
  touch(ids: string[]): Promise<void>;

  /** Whether some hold has expired (a cheap check before a write). */
  hasExpired(): Promise<boolean>;

  key(name: string): Promise<string | undefined>;
  setKey(name: string, record: string): Promise<void>;
  keys(): Promise<KeyRow[]>;
  deleteKey(name: string): Promise<boolean>;

  lease(id: string): Promise<LeaseRow | undefined>;
  leases(): Promise<LeaseRow[]>;
  createLease(id: string, expiresAt: number | null): Promise<void>;
  /** Deletes a lease and its blob list; its record holds end separately. */
  deleteLeases(ids: string[]): Promise<void>;
  addLeaseBlob(lease: string, digest: string): Promise<void>;
  leaseBlobs(lease: string): Promise<string[]>;
  /** Records held by each lease. */
  leaseRecords(ids: string[]): Promise<Map<string, string[]>>;

  /** One ready record with its ordered parents and whether it is in use, in one query. */
  view(id: string): Promise<{ row: RecordRow; parents: string[]; inUse: boolean; heldUntil: number | null } | undefined>;
  blob(digest: string): Promise<BlobRow | undefined>;
  /** Whether any stored blob has exactly this size (a cheap "might it be known?"). */
  hasBlobOfSize(size: number): Promise<boolean>;
  /** Every stored compression of one layer. */
  blobsByDiffID(diffID: string): Promise<BlobRow[]>;
  putBlob(b: Omit<BlobRow, "createdAt">): Promise<void>;
  deleteBlobs(digests: string[]): Promise<void>;
  allBlobs(): Promise<BlobRow[]>;
  /** Digests some record or lease refers to (as its blob, or a variant of its diffID). */
  referencedBlobs(): Promise<Set<string>>;
  /** A ready record with this blob chain, or with this chain and a snapshot. */
  byBlobChain(blobChainID: string): Promise<RecordRow | undefined>;
  byChainWithSnapshot(chainID: string): Promise<RecordRow | undefined>;
  /** Counts and cached bytes of ready records, mutable and immutable. */
  stats(): Promise<{ mutable: boolean; count: number; bytes: number }[]>;
  /** Every parent link, in no particular order, for whole-store walks. */
  allParents(): Promise<{ child: string; position: number; parent: string }[]>;
  /** Removes parent links (all links of each child given). */
  deleteParentLinks(children: string[]): Promise<void>;

  getMeta(name: string): Promise<string | undefined>;
  setMeta(name: string, value: string): Promise<void>;
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
  close(): Promise<void>;
}

/**
 * Snapshot directories by key. Contract: `prepare` makes a new directory for a key,
 * as a private copy of a parent's (never sharing an inode a later write could reach);
 * `remove` is crash-safe (renamed aside first, then deleted); paths never move.
 */
export interface Snapshotter {
  path(key: string): string;
  prepare(key: string, parent?: string): Promise<void>;
  remove(key: string): Promise<void>;
  /**
   * Renames a snapshot aside now (before this returns) and deletes it in the background;
   * the promise settles when it is gone. Deleting is kernel work other threads can do
   * while this one goes on.
   */
  drop(key: string): Promise<void>;
  exists(key: string): boolean;
  /** Keys that have a directory. */
  list(): string[];
  /** A number that changes whenever a directory is added or removed. */
  version(): string;
  /** Bytes used, each inode once, leaving out inodes also found under `shared` keys. */
  usage(key: string, shared?: string[]): Promise<number>;
  /** Whether a snapshot directory has no entries. */
  empty(key: string): boolean;
  /**
   * Deletes what this process, or a process that died, renamed aside; with `measure`,
   * returns the bytes that freed.
   */
  sweep(opts?: { measure?: boolean }): Promise<number>;
  /** Size and free bytes of the filesystem holding the snapshots. */
  filesystem(): { size: number; free: number };
}

/** Writing one blob: bytes in, then commit (verify, fsync, rename) or abort. */
export interface Ingest {
  /** The chunk may be reused once this returns. */
  write(chunk: Uint8Array): void;
  /** `digest`: the caller's hash of exactly what was written, for an ingest made with `callerHashes`. */
  commit(digest?: string): Promise<{ digest: string; size: number }>;
  abort(): void;
}

/** Blobs by digest, laid out as an OCI image layout. */
export interface ContentStore {
  dir: string;
  path(digest: string): string;
  has(digest: string): boolean;
  /**
   * `callerHashes`: the caller hashes these bytes anyway (an uncompressed layer is its
   * own diffID) and gives the digest to `commit`, so the store does not hash them again.
   */
  ingest(expected?: { digest?: string; size?: number }, opts?: { callerHashes?: boolean }): Ingest;
  remove(digest: string): void;
  list(): string[];
  size(): number;
  /** Size and modification time of a blob, or undefined if absent. */
  stat(digest: string): { size: number; mtimeMs: number } | undefined;
  /** The digest a blob's bytes actually have. */
  rehash(digest: string): Promise<string>;
  /** Deletes temp files of ingests whose process died; returns the bytes freed. */
  sweepIngests(alive: (owner: string) => boolean): number;
}

export type Compression = "gzip" | "zstd" | "uncompressed";

/** Layer blobs in and out (the `layer/` adapter): tar, compression, digests. */
export interface LayerIO {
  /** sha256 of a stream, nothing else. */
  digest(source: AsyncIterable<Uint8Array>): Promise<string>;
  /**
   * Reads a blob once: stores it in the content store when `store`, applies it onto
   * `dir` when given, and returns its digest, size, compression and diffID, and the
   * disk usage of `dir` afterwards when extracting could tell it without a walk.
   */
  read(
    source: AsyncIterable<Uint8Array>,
    opts: { dir?: string; store: boolean; expected?: { digest?: string; size?: number }; progress?: (bytes: number) => void },
  ): Promise<{ digest: string; size: number; diffID: string; compression: Compression; treeSize?: number }>;
  /** A stored blob as a stream. */
  open(digest: string): AsyncIterable<Uint8Array>;
  /** The changes from `lower` (none: an empty tree) to `upper`, stored as a blob. */
  write(
    lower: string | undefined,
    upper: string,
    compression: Compression,
    progress?: (bytes: number) => void,
  ): Promise<{ digest: string; size: number; diffID: string }>;
  /**
   * Applies each step's changes (lower → upper) onto `dest` with hardlinks; without
   * `deletions`, whiteouts are skipped.
   */
  applySteps(dest: string, steps: { lower?: string; upper: string }[], opts: { deletions: boolean }): Promise<void>;
  /** A stored blob recompressed, stored too. */
  transcode(digest: string, compression: Compression): Promise<{ digest: string; size: number; diffID: string }>;
  mediaType(compression: Compression): string;
  compressionOf(mediaType: string): Compression;
}
