/** Layer blobs in and out: what the core asks of the `layer/` adapter. */
export type Compression = "gzip" | "zstd" | "uncompressed";

export interface LayerIO {
  /** sha256 of a stream, nothing else. */
  digest(source: AsyncIterable<Uint8Array>): Promise<string>;
  /**
   * Reads a blob once: stores it in the content store when `store`, applies it onto
   * `dir` when given, and returns its digest, size, compression and diffID, and the
   * disk usage of `dir` afterwards when extracting could tell it without a walk.
   * With `overlay`, `dir` is an overlayfs layer (a snapshot's `changes`): with `below`,
   * an upper directory over that tree, so deletions become overlayfs whiteouts.
   */
  read(
    source: AsyncIterable<Uint8Array>,
    opts: {
      dir?: string;
      overlay?: { below?: string };
      store: boolean;
      expected?: { digest?: string; size?: number };
      progress?: (bytes: number) => void;
    },
  ): Promise<{ digest: string; size: number; diffID: string; compression: Compression; treeSize?: number }>;
  /** A stored blob as a stream. */
  open(digest: string): AsyncIterable<Uint8Array>;
  /**
   * The changes from `lower` (none: an empty tree) to `upper`, stored as a blob. With
   * `overlay`, `upper` is an overlayfs upper directory over `lower` (a snapshot's
   * `changes`): only it is read, and the blob is the one the two trees would give.
   */
  write(
    lower: string | undefined,
    upper: string,
    compression: Compression,
    progress?: (bytes: number) => void,
    opts?: { overlay?: boolean },
  ): Promise<{ digest: string; size: number; diffID: string }>;
  /**
   * Applies each step's changes (lower → upper) onto `dest` with hardlinks; without
   * `deletions`, whiteouts are skipped. With `overlay`, `dest` is an overlayfs upper
   * directory: deletions become whiteouts and replaced directories opaque. A step with
   * `overlay` gives its upper as an overlayfs upper directory over its lower tree.
   */
  applySteps(
    dest: string,
    steps: { lower?: string; upper: string; overlay?: boolean }[],
    opts: { deletions: boolean; overlay?: boolean },
  ): Promise<void>;
  /** A stored blob recompressed, stored too. */
  transcode(digest: string, compression: Compression): Promise<{ digest: string; size: number; diffID: string }>;
  mediaType(compression: Compression): string;
  compressionOf(mediaType: string): Compression;
}
