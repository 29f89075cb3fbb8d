/**
 * What strata needs from an OCI distribution registry (distribution-spec v1.1), in one
 * interface that will become a core port. A repository is named `HOST[:PORT]/NAME` and a
 * reference `HOST[:PORT]/NAME[:TAG|@sha256:…]`, as users type them, so records can keep
 * where a lazy blob lives as one string.
 *
 * Promises every implementation keeps:
 * - bytes handed out are verified: a manifest against its digest (and the tag's
 *   `Docker-Content-Digest`), a blob's sha256 and size while it streams; a mismatch is
 *   *integrity* (exit 8), and the stream throws before it ends;
 * - a blob or manifest the registry does not have is *missing blob* (6) or *not found*
 *   (3); anything else the registry refuses, after bounded retries for 429, 5xx and
 *   dropped connections, is *remote refused* (10) with the HTTP status and the
 *   registry's error code;
 * - no credential ever appears in an error message.
 */

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: { [key: string]: string };
  platform?: Platform;
  urls?: string[];
}

interface Document {
  /** sha256 of `bytes`, verified. */
  digest: string;
  mediaType: string;
  /** The manifest exactly as the registry holds it: push these to keep the digest. */
  bytes: Uint8Array;
  annotations: { [key: string]: string };
}

/** An OCI image manifest or a Docker schema 2 manifest. */
export interface ImageManifest extends Document {
  kind: "image";
  config: Descriptor;
  layers: Descriptor[];
}

/** An OCI image index or a Docker manifest list. */
export interface ImageIndex extends Document {
  kind: "index";
  manifests: Descriptor[];
}

export type Manifest = ImageManifest | ImageIndex;

/** A reference resolved to one image: through an index, the one for the platform. */
export interface Resolved {
  /** `HOST/NAME`, the repository every blob of the image is fetched from. */
  repository: string;
  /** The tag asked for, if any. */
  tag?: string;
  manifest: ImageManifest;
  /** The index the reference named, when it named one. */
  index?: ImageIndex;
}

/** Bytes moved so far for one blob (including any resumed prefix), for a progress bar. */
export type Progress = (bytes: number) => void;

export interface FetchOptions {
  progress?: Progress;
  /**
   * Bytes already held (say, a partial file of an earlier attempt): the first `offset`
   * bytes, which the client hashes so the whole blob is still verified, before asking
   * the registry for the rest with `Range`.
   */
  resume?: { offset: number; head: AsyncIterable<Uint8Array> };
}

/**
 * An upload the registry opened (a refused mount opens one). Use it with `pushBlob` or
 * cancel it; an abandoned one lingers in the registry until it purges uploads.
 */
export interface UploadSession {
  readonly repository: string;
  readonly location: string;
  cancel(): Promise<void>;
}

export type MountResult = { mounted: true } | { mounted: false; session: UploadSession };

export type PushAction = "pushed" | "exists" | "mounted";

export interface PushOptions {
  progress?: Progress;
  /** Repositories of the same registry that may hold the blob: mounted from, never re-sent. */
  mountFrom?: string[];
  /** An upload opened earlier (by a refused mount) to send the bytes through. */
  session?: UploadSession;
  /** A local file holding the same bytes as `open()`, which the client may send as it is. */
  file?: string;
}

/** A tag and what its manifest says about when it was made. */
export interface TagInfo {
  tag: string;
  digest: string;
  /** `org.opencontainers.image.created` of the tagged manifest or index, when it has one. */
  created?: string;
}

export interface Registry {
  /** The image a tag or digest names; an index picks `platform` (default linux/host arch). */
  resolve(ref: string, opts?: { platform?: string | Platform }): Promise<Resolved>;
  /** The manifest or index a tag or digest names, as it is. */
  fetchManifest(ref: string): Promise<Manifest>;
  /** A small blob (an image config) in memory, verified. */
  fetchConfig(repo: string, config: Descriptor): Promise<Uint8Array>;
  /**
   * A blob as a verified stream. It holds one of the client's transfer slots until it is
   * read to the end or its iterator is returned, so read the streams you open.
   */
  fetchBlob(repo: string, blob: Descriptor, opts?: FetchOptions): Promise<AsyncIterable<Uint8Array>>;
  hasBlob(repo: string, digest: string): Promise<boolean>;
  /** Mounts a blob from another repository of the same registry without sending it. */
  mountBlob(repo: string, from: string, digest: string): Promise<MountResult>;
  /**
   * Makes sure `repo` has the blob: already there, mounted, or sent from `open()` (called
   * again from the start if an upload has to be retried).
   */
  pushBlob(repo: string, blob: Descriptor, open: () => AsyncIterable<Uint8Array>, opts?: PushOptions): Promise<PushAction>;
  /** Stores a manifest under a tag or its digest; returns its digest. */
  putManifest(repo: string, tagOrDigest: string, bytes: Uint8Array, mediaType: string): Promise<string>;
  /** Every tag, following `Link` pagination; none for an unknown repository. */
  listTags(repo: string, opts?: { pageSize?: number }): Promise<string[]>;
  /** The tags starting with `prefix`, each with its manifest digest and creation time. */
  tagsWithPrefix(repo: string, prefix: string): Promise<TagInfo[]>;
}
