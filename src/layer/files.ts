/**
 * Finishing an extracted file through its open descriptor, and the shape of a helper
 * thread that does it. Extraction opens each file on its own thread, where every path
 * is checked; writing the data, setting the metadata and closing use only the
 * descriptor, so they can happen on another thread without ever touching a path.
 */
import { closeSync, fchmodSync, fchownSync, fstatSync, writeSync } from "node:fs";
import type { Sys } from "../runtime/runtime.ts";

export interface FileMeta {
  uid: number;
  gid: number;
  mode: number;
  mtimeNs: bigint;
  xattrs: Map<string, Uint8Array>;
  /** Owners are set only by root. */
  chown: boolean;
}

/** Writes all of `chunk`. */
export function writeAll(fd: number, chunk: Uint8Array, at = 0, end = chunk.length): void {
  while (at < end) at += writeSync(fd, chunk, at, end - at);
}

/**
 * Owner, mode, xattrs and times of a written file, only changing what differs from
 * what the kernel made; then closes it. Returns the bytes of blocks it takes.
 */
export function finishFile(sys: Sys, fd: number, m: FileMeta): number {
  try {
    const st = fstatSync(fd);
    if (m.chown && (st.uid !== m.uid || st.gid !== m.gid)) fchownSync(fd, m.uid, m.gid);
    // After fchown, which clears set-id bits.
    if ((st.mode & 0o7777) !== m.mode) fchmodSync(fd, m.mode);
    for (const [name, value] of m.xattrs) sys.fsetxattr(fd, name, value);
    sys.futimens(fd, m.mtimeNs, m.mtimeNs);
    return st.blocks * 512;
  } finally {
    closeSync(fd);
  }
}

/** A helper thread finishing files opened here: their data in order, then metadata and close. */
export interface FileWriter {
  /** More data for an open file; the chunk is copied. */
  data(fd: number, chunk: Uint8Array): void;
  /** The file is complete: set its metadata (none: an abandoned file) and close it. */
  end(fd: number, meta: FileMeta | null): void;
  /** Undefined, or a promise to wait on while the thread is far behind. */
  ready(): Promise<void> | undefined;
  /** Waits for everything sent; the bytes of blocks of the files it finished. */
  finish(): Promise<number>;
}
