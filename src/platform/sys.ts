/**
 * What a runtime gives the rest of strata beyond `node:*`: system calls through its FFI
 * on libc. Declared here, below both `runtime/` (which implements it) and the modules
 * that call it (`layer/`, `snapshot/`), so neither imports the other for it.
 */
/** System calls `node:fs` lacks, through the runtime's FFI on libc. */
export interface Sys {
  /** Extended attribute names of a path, not following symlinks. */
  listxattr(path: string): string[];
  getxattr(path: string, name: string): Uint8Array;
  setxattr(path: string, name: string, value: Uint8Array): void;
  /** The same on an open file. */
  fsetxattr(fd: number, name: string, value: Uint8Array): void;
  /** Sets atime and mtime in nanoseconds, not following symlinks. */
  utimens(path: string, atimeNs: bigint, mtimeNs: bigint): void;
  /** The same on an open file. */
  futimens(fd: number, atimeNs: bigint, mtimeNs: bigint): void;
  /**
   * Nanosecond atime and mtime of a path already lstat'ed as `st`. Bun's lstat has
   * them; Deno's rounds to milliseconds, so Deno asks libc.
   */
  times(path: string, st: { atimeNs: bigint; mtimeNs: bigint }): [bigint, bigint];
  /** Makes a fifo, socket or device node. */
  mknod(path: string, mode: number, dev: bigint): void;
  /**
   * Marks a directory as the top of independent hierarchies (`chattr +T`), so ext4
   * places each subdirectory in its own block group. Returns false where the
   * filesystem has no such flag.
   */
  markTopDir(path: string): boolean;
  /**
   * mount(2): `data` is the filesystem's option string (one page at most). Relative
   * paths in it resolve against the process's working directory, shared by its threads.
   */
  mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void;
  /** umount2(2) with its flags (MNT_DETACH, UMOUNT_NOFOLLOW). */
  umount(target: string, flags: number): void;
  /** flock(2) on an open file: blocks until the lock is had (LOCK_EX, LOCK_UN). */
  flock(fd: number, op: number): void;
}

// The flags Sys's mount, umount and flock take, as Linux defines them.
export const MS_RDONLY = 1;
export const MS_REMOUNT = 32;
export const MS_BIND = 4096;
export const MNT_DETACH = 2;
export const UMOUNT_NOFOLLOW = 8;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
