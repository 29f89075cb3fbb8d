/**
 * Materializing merges and diffs (SPEC §3.9–10): per-layer changes applied onto a fresh
 * directory, in order, with unchanged files hardlinked from the layer they come from
 * (copied where a link cannot be made: another filesystem, too many links). Deletions
 * in a later step remove what earlier steps put there. The result shares inodes with
 * its inputs, so it is only ever handed out read-only; children get their own copy.
 *
 * Into an overlayfs upper directory (`overlay`, the part of a merge its stack could not
 * take): deletions become whiteouts, and a directory made where something was replaced
 * or deleted becomes opaque, so nothing from the layers below shows through it. A step
 * given as an overlayfs upper (`Step.overlay`) is read from what changed, and its files
 * are linked from that upper, where they live (a mounted tree is another filesystem).
 */
import {
  chmodSync, constants, copyFileSync, lchownSync, linkSync, lstatSync, mkdirSync, rmSync, symlinkSync,
} from "node:fs";
import process from "node:process";
import type { Sys } from "../platform/sys.ts";
import { exists, makeDir, makedev, remove, typeBits } from "./nodes.ts";
import { setOpaque, whiteout } from "../platform/overlay.ts";
import { type Change, changes, splitTop, type Walker } from "./diff.ts";
import { upperChanges } from "./overlay/changes.ts";

export interface Step {
  /** The tree below this layer; none for a base layer. */
  lower?: string;
  /** The layer's tree; with `overlay`, its overlayfs upper directory over `lower` (only what changed). */
  upper: string;
  overlay?: boolean;
}

/**
 * A helper thread making hardlinks (replacing what is at the target). Links go there
 * while this thread walks; each step ends with `drain`, which also returns the links
 * that could not be made (another filesystem, too many links) for copying here.
 */
export interface Linker {
  link(from: string, to: string): void;
  drain(): Promise<[from: string, to: string][]>;
  close(): void;
}

/** Files seen before a helper thread is worth starting. */
const HELP_AFTER = 256;

/**
 * Applies each step's changes onto `dest`; with `deletions: false`, whiteouts are
 * skipped (a diff's own tree). Within a step every path comes once, parents before
 * children, so links handed to the helper never race this thread's removals, which
 * only touch what earlier (drained) steps made.
 */
export async function applySteps(
  sys: Sys, dest: string, steps: Step[], opts: { deletions: boolean; overlay?: boolean },
  helpers: { linker?: () => Linker; walker?: () => Walker } = {},
): Promise<void> {
  let linker: Linker | undefined;
  let walker: Walker | undefined;
  let files = 0;
  try {
    await apply(sys, dest, steps, opts, () => {
      if (helpers.linker && ++files === HELP_AFTER) linker = helpers.linker();
      return linker;
    }, helpers.walker && (() => (walker ??= helpers.walker!())));
  } finally {
    linker?.close();
    walker?.close();
  }
}

async function apply(
  sys: Sys, dest: string, steps: Step[], opts: { deletions: boolean; overlay?: boolean }, linkerFor: () => Linker | undefined,
  walkerFor?: () => Walker,
): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  // The last step that touched a directory decides its metadata.
  const dirs = new Map<string, { mode: number; uid: number; gid: number; mtimeNs: bigint; xattrs: Map<string, Uint8Array> }>();
  /** A directory made at `at` where something else was: in an upper, it hides what is below. */
  const replaceWithDir = (at: string) => {
    remove(at);
    mkdirSync(at, { mode: 0o700 });
    if (opts.overlay) setOpaque(sys, at);
  };
  /**
   * Parent directories of an entry under a directory no step listed (a diff's tree, an
   * upper): made here, they take the upper tree's metadata at the end like listed ones.
   */
  const parentsOf = (rel: string, step: Step) => {
    const parts = rel.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      const st = exists(`${dest}/${p}`);
      if (st?.isDirectory()) continue;
      if (st) replaceWithDir(`${dest}/${p}`); // a whiteout, or a file an earlier step put there
      else mkdirSync(`${dest}/${p}`, { mode: 0o700 });
      if (dirs.has(`${dest}/${p}`)) continue;
      const up = lstatSync(`${step.upper}/${p}`, { bigint: true });
      const mtimeNs = sys.times(`${step.upper}/${p}`, up)[1];
      dirs.set(`${dest}/${p}`, { mode: Number(up.mode) & 0o7777, uid: Number(up.uid), gid: Number(up.gid), mtimeNs, xattrs: new Map() });
    }
  };
  const place = (at: string, make: () => void) => {
    try {
      make();
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
      remove(at);
      make();
    }
  };
  for (const step of steps) {
    const copies = new Map<string, string>();
    /** Links no link could make: a copy, and links to that copy for the rest of this layer. */
    const copy = (from: string, at: string) => {
      const inode = String(lstatSync(from).ino);
      const first = copies.get(inode);
      if (first) return place(at, () => linkSync(first, at));
      // Exclusive: whatever is at `at` may share its inode with an input, so it is
      // replaced (by place), never written into.
      place(at, () => copyFileSync(from, at, constants.COPYFILE_EXCL));
      // The entry may carry no metadata (linkOnly): take it from the source.
      const st = lstatSync(from, { bigint: true });
      if (asRoot) lchownSync(at, Number(st.uid), Number(st.gid));
      chmodSync(at, Number(st.mode) & 0o7777);
      for (const k of sys.listxattr(from)) sys.setxattr(at, k, sys.getxattr(from, k));
      sys.utimens(at, st.atimeNs, sys.times(from, st)[1]);
      copies.set(inode, at);
    };
    let linker: Linker | undefined;
    // With a walker, half the top-level directories are walked on its thread meanwhile;
    // their contents are applied after this thread's share (parents come first in each).
    const under = walkerFor && !step.overlay ? splitTop(step.lower, step.upper) : [];
    const theirs = under.length ? walkerFor!().walk(step.lower, step.upper, under) : undefined;
    const skip = new Set(under.map(([rel]) => rel));
    const one = ({ entry: e, source }: Change) => {
      const rel = e.path.replace(/\/$/, "");
      const slash = rel.lastIndexOf("/");
      const name = rel.slice(slash + 1);
      const at = `${dest}/${rel}`;
      if (name.startsWith(".wh.")) {
        const victim = `${dest}/${slash < 0 ? "" : `${rel.slice(0, slash)}/`}${name.slice(4)}`;
        if (opts.deletions) rmSync(victim, { recursive: true, force: true });
        if (opts.overlay) {
          parentsOf(rel, step);
          whiteout(sys, victim);
        }
        return;
      }
      if (!opts.deletions || opts.overlay) parentsOf(rel, step);
      if (e.type === "dir") {
        if (!makeDir(at, 0o700) && !exists(at)!.isDirectory()) replaceWithDir(at);
        dirs.set(at, { mode: e.mode, uid: e.uid, gid: e.gid, mtimeNs: e.mtimeNs, xattrs: e.xattrs });
        return;
      }
      if (e.type === "file" || e.type === "hardlink") {
        const from = e.type === "file" ? source! : `${step.upper}/${e.linkname}`;
        linker = linkerFor();
        if (linker) {
          linker.link(from, at);
          return;
        }
        try {
          place(at, () => linkSync(from, at));
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code !== "EXDEV" && code !== "EMLINK") throw err;
          copy(from, at);
        }
        return;
      }
      if (e.type === "symlink") place(at, () => symlinkSync(e.linkname, at));
      else place(at, () => sys.mknod(at, typeBits[e.type as keyof typeof typeBits] | e.mode, makedev(e.devmajor, e.devminor)));
      if (asRoot) lchownSync(at, e.uid, e.gid);
      if (e.type !== "symlink") chmodSync(at, e.mode);
      sys.utimens(at, e.mtimeNs, e.mtimeNs);
    };
    const list = step.overlay
      ? upperChanges(sys, step.lower!, step.upper)
      : changes(sys, step.lower, step.upper, { fileXattrs: false, linkOnly: true, skip });
    for (const c of list) one(c);
    if (theirs) for (const c of await theirs) one(c);
    // The step's links are all made before the next step can remove or replace them.
    if (linker) for (const [from, at] of await linker.drain()) copy(from, at);
  }
  // Directories last, deepest first, so filling them does not disturb their times.
  const depth = (p: string) => p.split("/").length;
  for (const path of [...dirs.keys()].sort((a, b) => depth(b) - depth(a))) {
    const d = dirs.get(path)!;
    if (!exists(path)?.isDirectory()) continue;
    if (asRoot) lchownSync(path, d.uid, d.gid);
    chmodSync(path, d.mode);
    for (const [k, v] of d.xattrs) sys.setxattr(path, k, v);
    sys.utimens(path, d.mtimeNs, d.mtimeNs);
  }
}
