/** File-system odds and ends shared by extraction and merging. */
import { lstatSync, mkdirSync, rmSync, type Stats, unlinkSync } from "node:fs";

/** Mode bits of the node types mknod makes. */
export const typeBits = { char: 0o020000, block: 0o060000, fifo: 0o010000 } as const;

/** glibc's makedev: a device number from major and minor. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major), mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** lstat, or undefined when there is nothing there. */
export function exists(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Removes whatever is at `path`: one unlink for a file or link, the usual case when a
 * later layer replaces an entry (rmSync stats first and costs several times that).
 */
export function remove(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") return;
    if (code !== "EISDIR" && code !== "EPERM") throw err;
    rmSync(path, { recursive: true, force: true });
  }
}

/** Makes a directory; false (and nothing made) if something is already there. */
export function makeDir(path: string, mode: number): boolean {
  try {
    mkdirSync(path, { mode });
    return true;
  } catch (err) {
    if ((err as { code?: string }).code !== "EEXIST") throw err;
    return false;
  }
}
