/** The content store: blobs by digest, written through an atomic ingest. */
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
  /** A blob's bytes from `start` up to and including `end` (default: all of it), as a stream. */
  read(digest: string, range?: { start: number; end: number }): AsyncIterable<Uint8Array>;
  /** Size and modification time of a blob, or undefined if absent. */
  stat(digest: string): { size: number; mtimeMs: number } | undefined;
  /** The digest a blob's bytes actually have. */
  rehash(digest: string): Promise<string>;
  /** Deletes temp files of ingests whose process died; returns the bytes freed. */
  sweepIngests(alive: (owner: string) => boolean): number;
  /** The temp files `sweepIngests` would delete, by name, for reports. */
  strayIngests(alive: (owner: string) => boolean): string[];
}
