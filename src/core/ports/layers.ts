/** Layer blobs in and out: what the core asks of the `layer/` adapter. */
export type Compression = "gzip" | "zstd" | "uncompressed";

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
