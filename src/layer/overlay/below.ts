/**
 * Extracting a layer into an overlayfs upper directory (an import on a parent, SPEC §7):
 * what the layer adds goes into the upper; what is already there is looked up as the
 * kernel would, in the upper first, then in the tree below (the parent's tree) unless
 * the upper hides it. Deletions become whiteouts, a directory made where the tree below
 * has one it must not show becomes opaque, and what a hardlink needs from below is
 * copied up first. Every path here is one `Scope` already resolved inside the snapshot:
 * this class decides where a name lives, never whether it may be written.
 */
import {
  chmodSync, constants, copyFileSync, lchownSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, type Stats, symlinkSync,
} from "node:fs";
import process from "node:process";
import { isWhiteout, lstatOr, OVERLAY_XATTRS, setOpaque, whiteout } from "../../platform/overlay.ts";
import type { Sys } from "../../platform/sys.ts";
import { StrataError } from "../../core/errors.ts";
import type { TarEntry } from "../tar/entry.ts";

const asRoot = process.getuid?.() === 0;

/** A layer's entry, for an overlayfs snapshot: overlay's own xattrs dropped, a 0/0 character device refused. */
export function overlayRules(e: TarEntry): void {
  for (const name of e.xattrs.keys()) if (name.startsWith(OVERLAY_XATTRS)) e.xattrs.delete(name);
  if (e.type === "char" && e.devmajor === 0 && e.devminor === 0) {
    throw new StrataError("invalid", `"${e.path}" is a 0/0 character device, which an overlayfs snapshot cannot hold (it means a deletion there)`);
  }
}

export class Below {
  /** Directories made opaque here (relative); an upper is fresh, so this is all of them. */
  private opaque = new Set<string>();

  constructor(private sys: Sys, readonly upper: string, readonly lower: string) {}

  private rel = (abs: string) => abs.slice(this.upper.length + 1);

  /** Whether the upper hides `rel` from the tree below: an opaque or non-directory ancestor. */
  private hidden(rel: string): boolean {
    for (let at = rel.indexOf("/"); at >= 0; at = rel.indexOf("/", at + 1)) {
      const p = rel.slice(0, at);
      const st = lstatOr(`${this.upper}/${p}`);
      if (!st) return false; // nothing deeper in the upper either
      if (!st.isDirectory() || this.opaque.has(p)) return true;
    }
    return false;
  }

  /** The tree below at `rel`, when the upper does not hide it. */
  private down(rel: string): Stats | undefined {
    return rel === "" || this.hidden(rel) ? undefined : lstatOr(`${this.lower}/${rel}`);
  }

  /** Where `rel` is seen now: the upper's path when the upper has or hides it, else the lower's. */
  view(rel: string): string {
    const up = `${this.upper}/${rel}`;
    return lstatOr(up) || this.hidden(rel) ? up : `${this.lower}/${rel}`;
  }

  /** What is seen at `abs` (an upper path): the upper's entry, else the tree below's; a whiteout is nothing. */
  stat(abs: string): Stats | undefined {
    const st = lstatOr(abs);
    if (st) return isWhiteout(st) ? undefined : st;
    return this.down(this.rel(abs));
  }

  /**
   * Makes a directory at `abs`; true if something was seen there (nothing made). A
   * directory from below is copied up (made in the upper with its metadata), so what
   * goes in it lands in the upper.
   */
  mkdir(abs: string, mode: number): boolean {
    const st = lstatOr(abs);
    if (st && isWhiteout(st)) {
      this.freshDir(abs, mode);
      return false;
    }
    if (st) return true;
    const below = this.down(this.rel(abs));
    if (!below) {
      mkdirSync(abs, { mode });
      return false;
    }
    if (below.isDirectory()) this.copyUpDir(abs);
    return true;
  }

  /** A new, empty directory at `abs`, hiding whatever the tree below holds there. */
  freshDir(abs: string, mode: number): void {
    rmSync(abs, { recursive: true, force: true });
    mkdirSync(abs, { mode });
    const rel = this.rel(abs);
    if (this.down(rel)?.isDirectory()) {
      setOpaque(this.sys, abs);
      this.opaque.add(rel);
    }
  }

  /** A deletion at `abs` (the upper's entry already removed): a whiteout, where the tree below has the name. */
  remove(abs: string): void {
    if (this.down(this.rel(abs))) whiteout(this.sys, abs);
  }

  /** An opaque marker on directory `abs`: nothing below it shows, but what this layer made (`keep`). */
  hide(abs: string, keep: (rel: string) => boolean): void {
    const rel = this.rel(abs);
    if (rel !== "") {
      setOpaque(this.sys, abs);
      this.opaque.add(rel);
      return;
    }
    // The kernel ignores an opaque root: each name below gets its whiteout instead.
    for (const name of readdirSync(this.lower)) {
      if (!keep(name) && !lstatOr(`${this.upper}/${name}`)) whiteout(this.sys, `${this.upper}/${name}`);
    }
  }

  /**
   * A non-directory seen only below `abs` is copied up (a file's data, a symlink's
   * target, a node's device; metadata; its directories), so a hardlink can be made to
   * it; true if it was.
   */
  copyUp(abs: string): boolean {
    if (lstatOr(abs)) return false;
    const rel = this.rel(abs);
    for (let at = rel.indexOf("/"); at >= 0; at = rel.indexOf("/", at + 1)) this.mkdir(`${this.upper}/${rel.slice(0, at)}`, 0o755);
    const from = `${this.lower}/${rel}`;
    // The node itself, never what it points at: a symlink below may name a host file.
    const st = lstatSync(from);
    if (st.isFile()) copyFileSync(from, abs, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
    else if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), abs);
    else this.sys.mknod(abs, st.mode, BigInt(st.rdev));
    this.copyMeta(from, abs);
    return true;
  }

  private copyUpDir(abs: string): void {
    mkdirSync(abs, { mode: 0o700 });
    this.copyMeta(`${this.lower}/${this.rel(abs)}`, abs);
  }

  /** Owner, mode, xattrs (not overlayfs' own) and times, as copy-up keeps them. */
  private copyMeta(from: string, to: string): void {
    const st = lstatSync(from, { bigint: true });
    if (asRoot) lchownSync(to, Number(st.uid), Number(st.gid));
    if (!st.isSymbolicLink()) chmodSync(to, Number(st.mode) & 0o7777);
    for (const name of this.sys.listxattr(from)) {
      if (!name.startsWith(OVERLAY_XATTRS)) this.sys.setxattr(to, name, this.sys.getxattr(from, name));
    }
    this.sys.utimens(to, st.atimeNs, this.sys.times(from, st)[1]);
  }
}
