/**
 * Copies a directory tree the way `cp -a` does: file types, modes, owners (as root),
 * nanosecond times, symlinks, hardlinks within the tree, and xattrs. File data goes
 * through copyFile with FICLONE, so a reflink-capable filesystem shares extents and
 * others copy in the kernel; the copy never shares an inode with its source.
 *
 * Copying is system calls, one file after another. Where the runtime offers a helper
 * thread, two in three plain files (one link) are copied there while this thread walks
 * (about a third of the work) and copies the rest; directories get their metadata
 * last, once both are done, so their times are not disturbed by late arrivals.
 */
import {
  type BigIntStats, chmodSync, constants, copyFileSync, lchownSync, lstatSync, mkdirSync,
  readdirSync, readlinkSync, linkSync, symlinkSync,
} from "node:fs";
import process from "node:process";
import type { Sys } from "../platform/sys.ts";

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const SPECIAL_BITS = 0o7000;
/** Files seen before a helper thread is worth starting. */
const HELP_AFTER = 256;

/** What finishing one copied node needs from its source's stat. */
export interface Meta {
  uid: number;
  gid: number;
  mode: number;
  atimeNs: bigint;
  mtimeNs: bigint;
}

/** A plain file to copy, with its metadata. */
export interface FileJob extends Meta {
  from: string;
  to: string;
}

/** A helper thread copying files: jobs in, then `finish` once no more will come. */
export interface Copier {
  add(job: FileJob): void;
  finish(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;

/** Owner, mode, xattrs and times of a copied node, from its source. */
export function finishNode(sys: Sys, from: string, to: string, m: Meta): void {
  const type = m.mode & S_IFMT;
  if (asRoot) lchownSync(to, m.uid, m.gid);
  // chown clears setuid/setgid, and directories were made writable for filling.
  if (type === S_IFDIR || (asRoot && m.mode & SPECIAL_BITS)) chmodSync(to, m.mode & 0o7777);
  copyXattrs(sys, from, to, type === S_IFLNK);
  sys.utimens(to, m.atimeNs, m.mtimeNs);
}

/** One plain file: data, then metadata. */
export function copyFile(sys: Sys, job: FileJob): void {
  copyFileSync(job.from, job.to, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
  finishNode(sys, job.from, job.to, job);
}

export async function copyTree(src: string, dst: string, sys: Sys, helper?: () => Copier): Promise<void> {
  const links = new Map<string, string>();
  const dirs: { from: string; to: string; m: Meta }[] = [];
  let copier: Copier | undefined;
  let files = 0;

  const meta = (path: string, st: BigIntStats): Meta => {
    const [atimeNs, mtimeNs] = sys.times(path, st);
    return { uid: Number(st.uid), gid: Number(st.gid), mode: Number(st.mode), atimeNs, mtimeNs };
  };

  const visit = (from: string, to: string, st: BigIntStats) => {
    const type = Number(st.mode) & S_IFMT;
    if (type === S_IFDIR) {
      mkdirSync(to, { mode: 0o700 });
      for (const name of readdirSync(from)) {
        visit(`${from}/${name}`, `${to}/${name}`, lstatSync(`${from}/${name}`, { bigint: true }));
      }
      dirs.push({ from, to, m: meta(from, st) });
      return;
    }
    if (type === S_IFREG) {
      if (st.nlink > 1n) {
        const inode = `${st.dev}:${st.ino}`;
        const first = links.get(inode);
        if (first) return linkSync(first, to);
        links.set(inode, to);
      } else if (helper && ++files > HELP_AFTER && files % 3 !== 0) {
        copier ??= helper();
        return copier.add({ from, to, ...meta(from, st) });
      }
      return copyFile(sys, { from, to, ...meta(from, st) });
    }
    if (type === S_IFLNK) symlinkSync(readlinkSync(from), to);
    else sys.mknod(to, Number(st.mode), st.rdev);
    finishNode(sys, from, to, meta(from, st));
  };

  try {
    visit(src, dst, lstatSync(src, { bigint: true }));
  } finally {
    await copier?.finish();
  }
  // Deepest first: the walk pushed each directory after its children.
  for (const d of dirs) finishNode(sys, d.from, d.to, d.m);
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
