/** Plain helpers for calling libc from either runtime's FFI. */
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const ERANGE = 34;
// <linux/fs.h>: the inode flag ioctls take an int, and FS_TOPDIR_FL is `chattr +T`.
export const FS_IOC_GETFLAGS = 0x80086601n;
export const FS_IOC_SETFLAGS = 0x40086602n;
export const FS_TOPDIR_FL = 0x00020000;

/** Sets FS_TOPDIR_FL through `ioctl` on an open directory; false if it can't be. */
export function setTopDir(fd: number, ioctl: (fd: number, req: bigint, arg: Int32Array) => number): boolean {
  const flags = new Int32Array(2);
  if (ioctl(fd, FS_IOC_GETFLAGS, flags) !== 0) return false;
  if (flags[0]! & FS_TOPDIR_FL) return true;
  flags[0] = flags[0]! | FS_TOPDIR_FL;
  return ioctl(fd, FS_IOC_SETFLAGS, flags) === 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A NUL-terminated copy of a string. */
export function cstr(s: string): Uint8Array {
  const bytes = encoder.encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** xattr name lists are NUL-separated. */
export function splitNames(buf: Uint8Array): string[] {
  return decoder.decode(buf).split("\0").filter(Boolean);
}

/** `struct timespec` fields: seconds rounded down, so nanoseconds stay in 0..999999999 before 1970 too. */
function timespec(ns: bigint): [bigint, bigint] {
  const b = 1_000_000_000n;
  const r = ns % b;
  return r < 0n ? [ns / b - 1n, r + b] : [ns / b, r];
}

/** `struct timespec[2]` for utimensat. */
export function timespecs(atimeNs: bigint, mtimeNs: bigint): BigInt64Array {
  return new BigInt64Array([...timespec(atimeNs), ...timespec(mtimeNs)]);
}


const names: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 13: "EACCES", 16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR",
  22: "EINVAL", 28: "ENOSPC", 61: "ENODATA", 95: "EOPNOTSUPP", 34: "ERANGE", 40: "ELOOP",
};

export function sysError(errno: number, call: string, path: string): Error & { code: string; errno: number } {
  const code = names[errno] ?? `E${errno}`;
  return Object.assign(new Error(`${code}: ${call} '${path}'`), { code, errno });
}
