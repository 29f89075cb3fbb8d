/**
 * The snapshot port on plain directories: `ROOT/snapshots/<key>`. A child is a full,
 * private copy of its parent (see copy.ts). Removal renames the directory into
 * `ROOT/trash/` first, so a crash never leaves a half-deleted snapshot in place.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statfsSync, statSync } from "node:fs";
import type { Snapshotter } from "../core/ports.ts";
import type { Sys } from "../runtime/runtime.ts";
import { copyTree } from "./copy.ts";
import { treeUsage } from "./usage.ts";

export function localSnapshotter(root: string, sys: Sys): Snapshotter {
  const dir = `${root}/snapshots`;
  const trash = `${root}/trash`;
  mkdirSync(dir, { recursive: true });
  mkdirSync(trash, { recursive: true });
  const path = (key: string) => `${dir}/${key}`;

  return {
    path,
    async prepare(key, parent) {
      if (parent === undefined) mkdirSync(path(key), { mode: 0o755 });
      else copyTree(path(parent), path(key), sys);
    },
    async remove(key) {
      const aside = `${trash}/${key}-${crypto.randomUUID()}`;
      try {
        renameSync(path(key), aside);
      } catch (err) {
        if ((err as { code?: string }).code === "ENOENT") return;
        throw err;
      }
      rmSync(aside, { recursive: true, force: true });
    },
    exists: (key) => existsSync(path(key)),
    list: () => readdirSync(dir),
    version() {
      const st = statSync(dir, { bigint: true });
      return `${st.mtimeNs}:${st.nlink}`;
    },
    async usage(key) {
      return treeUsage(path(key));
    },
    async sweep() {
      let freed = 0;
      for (const name of readdirSync(trash)) {
        freed += treeUsage(`${trash}/${name}`);
        rmSync(`${trash}/${name}`, { recursive: true, force: true });
      }
      return freed;
    },
    filesystem() {
      const st = statfsSync(dir);
      return { size: Number(st.blocks) * Number(st.bsize), free: Number(st.bavail) * Number(st.bsize) };
    },
  };
}
