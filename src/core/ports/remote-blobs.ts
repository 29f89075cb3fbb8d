/**
 * Repositories of OCI registries (`HOST[:PORT]/NAME`) a blob is known to live in: where
 * a lazy remote record's blob is fetched from, and where a push may mount it from. A
 * row says "was there when last seen", not "is there": a fetch or a mount may still
 * find it gone.
 */
export interface RemoteBlobs {
  /** Repositories known to hold the blob, most recently seen first. */
  repositories(digest: string): Promise<string[]>;
  /** Notes that `repository` holds each of the blobs, as seen now. */
  add(repository: string, digests: string[]): Promise<void>;
}
