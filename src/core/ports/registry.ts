/**
 * OCI distribution registries, as push, pull and lazy remote records need them (SPEC §6).
 * A repository is `HOST[:PORT]/NAME` and a reference `HOST[:PORT]/NAME[:TAG|@sha256:…]`,
 * as users type them; blobs and manifests are named by digest.
 *
 * What every implementation promises:
 * - bytes handed out are verified (a blob's sha256 and size while it streams, a manifest
 *   against its digest); a mismatch is *integrity* and the stream throws before it ends;
 * - a blob the registry does not have is *missing blob*, a manifest *not found*;
 *   anything else it refuses, after bounded retries, is *remote refused* carrying the
 *   HTTP status and the registry's error code;
 * - credentials, CA files and insecure hosts are the implementation's own settings,
 *   never passed through here and never in a message.
 */

export interface RemoteBlob {
  mediaType: string;
  digest: string;
  size: number;
}

/** A reference split into its parts; a tag defaults to `latest` unless a digest is given. */
export interface ImageRef {
  /** `HOST[:PORT]`. */
  registry: string;
  /** `HOST[:PORT]/NAME`. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** One image (through an index, the one for the platform asked for). */
export interface RemoteImage {
  /** `HOST[:PORT]/NAME`, where its blobs are fetched from. */
  repository: string;
  /** The image manifest's digest. */
  digest: string;
  config: RemoteBlob;
  /** Root first. */
  layers: RemoteBlob[];
}

/** A tag and when its manifest says it was made. */
export interface RemoteTag {
  tag: string;
  digest: string;
  created?: string;
}

export type PushAction = "pushed" | "exists" | "mounted";

/** Bytes of one blob moved so far. */
export type Progress = (bytes: number) => void;

export interface Registry {
  /** A reference's parts; an invalid one is a usage error. */
  parse(ref: string): ImageRef;
  /**
   * The image a tag or digest names, undefined when it names nothing; an index picks
   * `platform` (`OS/ARCH[/VARIANT]`, default the host's).
   */
  resolve(ref: string, opts?: { platform?: string }): Promise<RemoteImage | undefined>;
  /** A small blob (an image config) in memory. */
  fetchConfig(repository: string, blob: RemoteBlob): Promise<Uint8Array>;
  /** A blob as a stream that resumes by itself where a connection broke off. Read it to the end. */
  fetchBlob(repository: string, blob: RemoteBlob, progress?: Progress): Promise<AsyncIterable<Uint8Array>>;
  hasBlob(repository: string, digest: string): Promise<boolean>;
  /** Mounts a blob from another repository of the same registry; false when it would not. */
  mountBlob(repository: string, from: string, digest: string): Promise<boolean>;
  /**
   * Makes sure `repository` has the blob: already there, mounted from one of `mountFrom`,
   * or sent from `open()` (called again from the start when an upload is retried), or
   * from `file`, a local file of the same bytes, where the implementation can send one.
   */
  pushBlob(
    repository: string,
    blob: RemoteBlob,
    open: () => AsyncIterable<Uint8Array>,
    opts?: { mountFrom?: string[]; progress?: Progress; file?: string },
  ): Promise<PushAction>;
  /** Stores a manifest under a tag; returns its digest. The manifest goes last. */
  putManifest(repository: string, tag: string, bytes: Uint8Array, mediaType: string): Promise<string>;
  /** The newest tag starting with `prefix`, by its manifest's creation time; none when no tag matches. */
  newestTag(repository: string, prefix: string): Promise<RemoteTag | undefined>;
}
