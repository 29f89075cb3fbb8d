/** Blobs known to the content store, one row per digest; compressions of a layer share a diffID. */
export interface BlobRow {
  digest: string;
  mediaType: string;
  size: number;
  diffID: string;
  createdAt: number;
}

export interface Blobs {
  get(digest: string): Promise<BlobRow | undefined>;
  /** Whether any stored blob has exactly this size (a cheap "might it be known?"). */
  anyOfSize(size: number): Promise<boolean>;
  /** Every stored compression of one layer. */
  byDiffID(diffID: string): Promise<BlobRow[]>;
  put(b: Omit<BlobRow, "createdAt">): Promise<void>;
  delete(digests: string[]): Promise<void>;
  all(): Promise<BlobRow[]>;
  /**
   * Digests something refers to: a record (as its blob, or a variant of its diffID), a
   * lease, or a process writing it (`hold`).
   */
  referenced(): Promise<Set<string>>;
  /** Keeps a blob a process is writing until `release`, or until the process is gone. */
  hold(digest: string, owner: string): Promise<void>;
  release(digests: string[], owner: string): Promise<void>;
  /** Ends every blob hold of these owners (processes that died). */
  releaseOwners(owners: string[]): Promise<void>;
}
