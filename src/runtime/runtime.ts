/**
 * What differs between Bun and Deno sits behind this one shape; `runtime/bun/` and
 * `runtime/deno/` each export it from files with the same names.
 */
import type { FileWriter } from "../layer/files.ts";
import type { Deflater } from "../layer/write.ts";
import type { Inflate, Zstd } from "../layer/compression.ts";
import type { Linker } from "../layer/merge.ts";
import type { Walker } from "../layer/diff.ts";
import type { Copier } from "../snapshot/copy.ts";
import type { OpenSqlite } from "../store/store.ts";
import type { Locks } from "../core/ports/host.ts";
import type { Sys } from "../platform/sys.ts";


export interface Listen {
  unix?: string;
  hostname?: string;
  port?: number;
}

export interface Listener {
  /** `unix:/path` or `http://host:port`, as the CLI's --addr takes it. */
  address: string;
  stop(): Promise<void>;
}

export type Handler = (req: Request, env: { transport: "unix" | "tcp" }) => Response | Promise<Response>;

/**
 * A response body holding a file's bytes (a range of them, ends included), of known
 * length, so the response says its Content-Length (Bun drops it for a plain stream).
 */
export type SendFile = (path: string, range?: { start: number; end: number }) => BodyInit;

export interface Runtime {
  name: "bun" | "deno";
  version: string;
  openSqlite: OpenSqlite;
  sys: Sys;
  /**
   * Locks between processes, as files in `dir`. `alone`: this process has nothing else
   * to do while it waits for a lock (a CLI command, not the daemon), so it may wait on
   * its own thread when no other lock of its own is held or awaited.
   */
  locks(dir: string, opts?: { alone?: boolean }): Locks;
  listen(at: Listen, fetch: Handler): Listener;
  sendFile: SendFile;
  /** fetch, reaching a unix socket when one is named. */
  fetchVia(unix: string | undefined): typeof fetch;
  /**
   * A local file (or a range of it) as a request body the kernel sends as it is, where
   * the runtime can (Bun); elsewhere an upload streams the bytes it reads.
   */
  uploadFile?: SendFile;
  /** fetch for registries: the system's CAs plus `caFile` (loaded when first needed). */
  registryFetch(caFile?: string): Promise<typeof fetch>;
  /** A thread that copies files alongside this one, where the runtime has one. */
  copier?: () => Copier;
  /** zstd in native code, where the runtime and the host have it (undefined if not). */
  zstd?: () => Zstd | undefined;
  /** A gzip decompressor in native code, where the runtime and the host have one. */
  inflate?: () => Inflate | undefined;
  /** A thread that hashes and compresses exported layers, where the runtime has one. */
  deflater?: Deflater;
  /**
   * gzip of bytes in memory, natively, at level 6: byte for byte what node:zlib's stream
   * makes of them, without loading node:zlib and its streams (~10 ms of a small export).
   */
  gzip?: (bytes: Uint8Array) => Uint8Array;
  /** A thread that writes and finishes extracted files, where the runtime has one. */
  writer?: () => FileWriter;
  /** A thread that makes a merge's hardlinks, where the runtime has one. */
  linker?: () => Linker;
  /** A thread that walks part of a tree for a merge or diff, where the runtime has one. */
  walker?: () => Walker;
}
