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
  /** Digests some record or lease refers to (as its blob, or a variant of its diffID). */
  referenced(): Promise<Set<string>>;
}
