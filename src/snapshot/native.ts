/**
 * The native snapshotter: plain directories, `ROOT/snapshots/<key>`, like containerd's
 * native snapshotter. Preparing on a parent copies the parent's tree (see copy.ts), so
 * nothing is ever mounted and commit changes nothing on disk. Removal renames the
 * directory into `ROOT/trash/` first, so a crash never leaves a half-deleted snapshot.
 */
import { rm } from "node:fs/promises";
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync, statSync } from "node:fs";
import type { Processes } from "../core/ports/host.ts";
import type { Snapshotter } from "../core/ports/snapshots.ts";
import type { Sys } from "../platform/sys.ts";
import { type Copier, copyTree } from "./copy.ts";
import { Trash } from "./trash.ts";
import { inodes, treeUsage } from "./usage.ts";

export function nativeSnapshotter(root: string, sys: Sys, processes: Processes, copier?: () => Copier): Snapshotter {
  const dir = snapshotsDir(root, sys);
  const trash = new Trash(root, processes);
  const path = (key: string) => `${dir}/${key}`;
  const discard = (key: string) => trash.discard(path(key), key);

  return {
    name: "native",
    async prepare(key, parent) {
      if (parent === undefined) mkdirSync(path(key), { mode: 0o755 });
      else await copyTree(path(parent), path(key), sys, copier);
    },
    // A copy is its own tree: nothing to freeze, nothing to mount.
    async commit() {},
    async mount(key) {
      return path(key);
    },
    async unmount() {},
    mounted: () => [],
    async remove(key) {
      const aside = discard(key);
      if (aside) rmSync(aside, { recursive: true, force: true });
    },
    drop(key) {
      const aside = discard(key);
      return aside ? rm(aside, { recursive: true, force: true }) : Promise.resolve();
    },
    exists: (key) => existsSync(path(key)),
    list: () => readdirSync(dir),
    version() {
      const st = statSync(dir, { bigint: true });
      return `${st.mtimeNs}:${st.nlink}`;
    },
    async usage(key, shared = []) {
      // Inodes under the shared trees are seen first, so they are not counted again.
      const seen = new Set<string>();
      for (const other of shared) inodes(path(other), seen);
      return treeUsage(path(key), seen);
    },
    empty: async (key) => readdirSync(path(key)).length === 0,
    sweep: (opts = {}) => trash.sweep(trash.mine(), opts.measure),
    filesystem: () => filesystem(dir),
  };
}

/** `ROOT/snapshots`, made (and spread, below) on first use. */
export function snapshotsDir(root: string, sys: Sys): string {
  const dir = `${root}/snapshots`;
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    spread(dir, sys);
  }
  return dir;
}

export function filesystem(dir: string): { size: number; free: number } {
  const st = statfsSync(dir);
  return { size: Number(st.blocks) * Number(st.bsize), free: Number(st.bavail) * Number(st.bsize) };
}

/**
 * Snapshots are independent trees, so each should start in its own block group. Where
 * they share their parent's group, as by default, ext4 without a journal skips every
 * inode freed in the last minute when it allocates there: after a prune, creating a
 * snapshot was up to 20x slower on such a disk. Best effort; other filesystems lack it.
 */
function spread(dir: string, sys: Sys) {
  try {
    sys.markTopDir(dir);
  } catch {
    // Not a filesystem with inode flags (tmpfs, overlayfs): nothing to gain there.
  }
}
