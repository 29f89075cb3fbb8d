/**
 * Mounting and unmounting one overlay, through the runtime's mount(2) and umount2(2):
 * no helper binary on the host.
 *
 * Options are fixed for what strata reads back from an upper directory: `index=off` (no
 * inode index tying an upper to one set of lowers), `redirect_dir=off` (renaming a
 * directory copies it, so no `trusted.overlay.redirect` ever points elsewhere) and
 * `metacopy=off` (a chmod copies the whole file up, so an upper file always has its
 * data). An upper therefore holds exactly the changes, in plain files, whiteouts and
 * opaque directories.
 *
 * mount(2) takes one page of options. Layers are named relative to a common directory
 * (the snapshots directory, as containerd does), and when even that is too long, by
 * one- or two-letter symlinks made for the call in a scratch directory: the kernel
 * resolves each path once, at mount time, and the links go right after.
 */
import { closeSync, lstatSync, mkdirSync, openSync, rmSync, symlinkSync } from "node:fs";
import process from "node:process";
import { failed } from "../../core/errors.ts";
import type { Sys } from "../../platform/sys.ts";
import { LOCK_EX, LOCK_UN, MNT_DETACH, MS_BIND, MS_RDONLY, MS_REMOUNT, UMOUNT_NOFOLLOW } from "../../platform/sys.ts";

/** Longest option string mount(2) copies (a page, less its NUL). */
const PAGE = 4095;
const FIXED = "redirect_dir=off,metacopy=off,index=off";

/** An overlay: layer directories relative to `base`, top first, and for a writable one its upper and work. */
export interface Spec {
  base: string;
  lowers: string[];
  upper?: string;
  work?: string;
}

const options = (s: Spec, name: (rel: string, i: number) => string) =>
  `lowerdir=${s.lowers.map(name).join(":")}` +
  (s.upper ? `,upperdir=${name(s.upper, -1)},workdir=${name(s.work!, -2)}` : "") + `,${FIXED}`;

/** Runs `fn` with `dir` as the working directory, which relative option paths resolve against. */
function inDir<T>(dir: string, fn: () => T): T {
  let back = "/";
  try {
    back = process.cwd();
  } catch { /* a deleted working directory: come back to / */ }
  process.chdir(dir);
  try {
    return fn();
  } finally {
    process.chdir(back);
  }
}

/** Mounts `spec` at `target` (read-only without an upper); `links` is a fresh path for short links. */
export function mountOverlay(sys: Sys, target: string, spec: Spec, links: string): void {
  const flags = spec.upper ? 0 : MS_RDONLY;
  const call = (data: string) => sys.mount("strata", target, "overlay", flags, data);
  const plain = (rel: string) => `${spec.base}/${rel}`;
  const abs = options(spec, plain);
  if (abs.length <= PAGE && !/[:,\\]/.test(spec.base)) return call(abs);
  const rel = options(spec, (r) => r);
  if (rel.length <= PAGE) return inDir(spec.base, () => call(rel));
  // Short names: a scratch directory of symlinks, lowers named in base 36 (lower case),
  // the upper and work directories U and W.
  mkdirSync(links, { recursive: true });
  try {
    const short = (r: string, i: number) => {
      const name = i === -1 ? "U" : i === -2 ? "W" : i.toString(36);
      symlinkSync(plain(r), `${links}/${name}`);
      return name;
    };
    const data = options(spec, short);
    if (data.length > PAGE) throw failed(`too many layers to mount at ${target} (${spec.lowers.length})`);
    inDir(links, () => call(data));
  } finally {
    rmSync(links, { recursive: true, force: true });
  }
}

/** Makes a mount read-only where it stands (for this mount only: its filesystem is untouched). */
export function remountReadOnly(sys: Sys, target: string): void {
  sys.mount("none", target, null, MS_REMOUNT | MS_BIND | MS_RDONLY, null);
}

/** Whether something is mounted at `path` (it sits on another device than its directory). */
export function isMountPoint(path: string): boolean {
  try {
    return lstatSync(path).dev !== lstatSync(`${path}/..`).dev;
  } catch {
    return false;
  }
}

/**
 * Unmounts everything stacked at `target`, never following a symlink there. A mount
 * still in use (a shell's working directory) is detached instead: it goes on serving
 * whoever holds it and vanishes with the last of them.
 */
export function unmountAll(sys: Sys, target: string): void {
  for (let i = 0; i < 64 && isMountPoint(target); i++) {
    try {
      sys.umount(target, UMOUNT_NOFOLLOW);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "EINVAL") return; // not a mount point after all
      if (code !== "EBUSY") throw err;
      sys.umount(target, MNT_DETACH | UMOUNT_NOFOLLOW);
    }
  }
}

/**
 * Runs `fn` holding an exclusive lock on `file` (flock), so two processes never mount
 * one snapshot twice. Held only around mount and unmount calls, never nested.
 */
export function withLock<T>(sys: Sys, file: string, fn: () => T): T {
  const fd = openSync(file, "a", 0o600);
  try {
    sys.flock(fd, LOCK_EX);
    try {
      return fn();
    } finally {
      sys.flock(fd, LOCK_UN);
    }
  } finally {
    closeSync(fd);
  }
}
