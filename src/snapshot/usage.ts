/** Disk usage of a tree like `du -s --bytes` on blocks: each inode counted once. */
import { lstatSync, readdirSync } from "node:fs";

/** Adds every non-directory inode under `root` to `seen`. */
export function inodes(root: string, seen: Set<string>): void {
  const visit = (path: string) => {
    for (const ent of readdirSync(path, { withFileTypes: true })) {
      const p = `${path}/${ent.name}`;
      if (ent.isDirectory()) visit(p);
      else {
        const st = lstatSync(p, { bigint: true });
        seen.add(`${st.dev}:${st.ino}`);
      }
    }
  };
  visit(root);
}

export function treeUsage(root: string, seen = new Set<string>()): number {
  let total = 0;
  const visit = (path: string) => {
    let st;
    try {
      st = lstatSync(path, { bigint: true });
    } catch (err) {
      // A mutable tree may change while it is measured.
      if ((err as { code?: string }).code === "ENOENT") return;
      throw err;
    }
    if (st.nlink > 1n && !st.isDirectory()) {
      const inode = `${st.dev}:${st.ino}`;
      if (seen.has(inode)) return;
      seen.add(inode);
    }
    total += Number(st.blocks) * 512;
    if (!st.isDirectory()) return;
    let names: string[] = [];
    try {
      names = readdirSync(path);
    } catch (err) {
      if ((err as { code?: string }).code !== "ENOENT") throw err;
    }
    for (const name of names) visit(`${path}/${name}`);
  };
  visit(root);
  return total;
}
