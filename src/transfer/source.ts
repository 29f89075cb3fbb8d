/**
 * Where `import` takes layers from. A source names its layers, root first, and says
 * whether, when the store is behind a server, its bytes are read by the client and
 * sent as the request body (a file, stdin) or read where the store is (a layout).
 */
export interface Layer {
  /** Opens the blob; called twice when `rewindable` (a digest pass, then the read). */
  open(): AsyncIterable<Uint8Array>;
  rewindable: boolean;
  /** The blob's size when known up front. */
  size?: number;
  mediaType?: string;
  /** What a manifest says the blob is: a mismatch is an integrity error. */
  expected?: { digest?: string; size?: number };
}

export interface Source {
  /** Whether `spec` names a source of this kind. */
  matches(spec: string): boolean;
  /** The spec with its paths made absolute, for a server whose working directory is not ours. */
  absolute(spec: string): string;
  /** Through a server, the client reads it and sends its one layer as the request body. */
  upload: boolean;
  /** Its layers, root first; errors name what could not be read. */
  layers(spec: string): Layer[];
}
