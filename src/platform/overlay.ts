/**
 * overlayfs' on-disk format, as the kernel reads it from a layer directory: what the
 * snapshotter (which stacks layers) and the layer code (which reads and writes them)
 * both need. strata mounts as root, so overlay's xattrs live under `trusted.overlay.`
 * (a mount with `userxattr` would use `user.overlay.`; strata never makes one).
 */
import { type BigIntStats, lstatSync, readdirSync, type Stats } from "node:fs";
import type { Sys } from "./sys.ts";

/** Every xattr overlayfs keeps for itself; never part of a tree's content. */
export const OVERLAY_XATTRS = "trusted.overlay.";
/** Set to `y` on an upper directory that hides whatever lower layers hold at its path. */
export const OPAQUE = "trusted.overlay.opaque";

const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;

/** A deletion: a character device numbered 0/0 (overlay refuses to make one for users). */
export function isWhiteout(st: Stats | BigIntStats): boolean {
  return (Number(st.mode) & S_IFMT) === S_IFCHR && Number(st.rdev) === 0;
}

/** Makes a whiteout at `path` (nothing may be there). */
export function whiteout(sys: Sys, path: string): void {
  sys.mknod(path, S_IFCHR, 0n);
}

/** Marks an upper directory opaque. The kernel ignores this on a layer's root. */
export function setOpaque(sys: Sys, dir: string): void {
  sys.setxattr(dir, OPAQUE, new TextEncoder().encode("y"));
}

export function isOpaque(sys: Sys, dir: string): boolean {
  try {
    const v = sys.getxattr(dir, OPAQUE);
    return v.length === 1 && v[0] === 0x79;
  } catch {
    return false;
  }
}

/** Whether any directory under `dir` (not `dir` itself) is opaque. */
export function hasOpaque(sys: Sys, dir: string): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const path = `${dir}/${e.name}`;
    if (isOpaque(sys, path) || hasOpaque(sys, path)) return true;
  }
  return false;
}

/** lstat, or undefined where nothing is. */
export function lstatOr(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
