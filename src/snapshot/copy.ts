/**
 * Copies a directory tree the way `cp -a` does: file types, modes, owners (as root),
 * nanosecond times, symlinks, hardlinks within the tree, and xattrs. File data goes
 * through copyFile with FICLONE, so a reflink-capable filesystem shares extents and
 * others copy in the kernel; the copy never shares an inode with its source.
 */
import {
  type BigIntStats, chmodSync, constants, copyFileSync, lchownSync, lstatSync, mkdirSync,
  readdirSync, readlinkSync, linkSync, symlinkSync,
} from "node:fs";
import process from "node:process";
import type { Sys } from "../runtime/runtime.ts";

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const SPECIAL_BITS = 0o7000;

export function copyTree(src: string, dst: string, sys: Sys): void {
  const asRoot = process.getuid?.() === 0;
  const links = new Map<string, string>();

  const finish = (from: string, to: string, st: BigIntStats, type: number) => {
    if (asRoot) lchownSync(to, Number(st.uid), Number(st.gid));
    // chown clears setuid/setgid, and directories were made writable for filling.
    if (type === S_IFDIR || (asRoot && Number(st.mode) & SPECIAL_BITS)) {
      chmodSync(to, Number(st.mode) & 0o7777);
    }
    copyXattrs(sys, from, to, type === S_IFLNK);
    const [atime, mtime] = sys.times(from, st);
    sys.utimens(to, atime, mtime);
  };

  const visit = (from: string, to: string, st: BigIntStats) => {
    const type = Number(st.mode) & S_IFMT;
    if (type === S_IFDIR) {
      mkdirSync(to, { mode: 0o700 });
      for (const name of readdirSync(from)) {
        visit(`${from}/${name}`, `${to}/${name}`, lstatSync(`${from}/${name}`, { bigint: true }));
      }
    } else if (type === S_IFREG) {
      if (st.nlink > 1n) {
        const inode = `${st.dev}:${st.ino}`;
        const first = links.get(inode);
        if (first) return linkSync(first, to);
        links.set(inode, to);
      }
      copyFileSync(from, to, constants.COPYFILE_FICLONE);
    } else if (type === S_IFLNK) {
      symlinkSync(readlinkSync(from), to);
    } else {
      sys.mknod(to, Number(st.mode), st.rdev);
    }
    finish(from, to, st, type);
  };

  visit(src, dst, lstatSync(src, { bigint: true }));
}

function copyXattrs(sys: Sys, from: string, to: string, symlink: boolean): void {
  let names: string[];
  try {
    names = sys.listxattr(from);
  } catch {
    return; // the filesystem has no xattrs
  }
  for (const name of names) {
    try {
      sys.setxattr(to, name, sys.getxattr(from, name));
    } catch (err) {
      // Linux allows only trusted/security xattrs on symlinks; others cannot be set there.
      if (!symlink) throw err;
    }
  }
}
