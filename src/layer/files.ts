/**
 * Finishing an extracted file through its open descriptor, and the shape of a helper
 * thread that does it. Extraction opens each file on its own thread, where every path
 * is checked; writing the data, setting the metadata and closing use only the
 * descriptor, so they can happen on another thread without ever touching a path.
 */
import { closeSync, fchmodSync, fchownSync, fstatSync, writeSync } from "node:fs";
import type { Sys } from "../platform/sys.ts";

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

/**
 * A running SHA-256 of a layer's tar stream, its diffID: `Sha256`, or the helper thread
 * that writes the files. One with `copy` keeps what it is given: the caller hands it
 * `copy(chunk)`, not the chunk, and does not touch that copy again after `update`.
 */
export interface StreamHash {
  copy?(chunk: Uint8Array): Uint8Array;
  /** Where there is `copy`: one of its buffers, filled by `write` (which says how much). */
  fill?(write: (into: Uint8Array) => number): Uint8Array;
  update(chunk: Uint8Array): void;
  /** Undefined, or a promise to wait on while the hashing is far behind. */
  ready(): Promise<void> | undefined;
  digest(): Promise<string>;
  /** Ends a stream that will not be digested. */
  abort(): void;
}

/**
 * A helper thread finishing files opened here: their data, then metadata and close. It
 * also hashes the tar stream, and file data is written from the stream's chunks (its
 * own copies): `data` parts must lie in the copy that `update` takes next.
 */
export interface FileWriter extends StreamHash {
  /** More data for an open file: a part of the next copy handed to `update`. */
  data(fd: number, part: Uint8Array): void;
  /** The file is complete: set its metadata (none: an abandoned file) and close it. */
  end(fd: number, meta: FileMeta | null): void;
  /** Waits for everything sent; the bytes of blocks of the files it finished. */
  finish(): Promise<number>;
}
