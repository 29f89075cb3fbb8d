/** File-system odds and ends shared by extraction and merging. */
import { lstatSync, type Stats } from "node:fs";

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
