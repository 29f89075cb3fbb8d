/** Disk usage of a tree like `du -s --bytes` on blocks: each inode counted once. */
import { lstatSync, readdirSync } from "node:fs";

export function treeUsage(root: string, seen = new Set<string>()): number {
  let total = 0;
  const visit = (path: string) => {
    const st = lstatSync(path, { bigint: true });
    if (st.nlink > 1n && !st.isDirectory()) {
      const inode = `${st.dev}:${st.ino}`;
      if (seen.has(inode)) return;
      seen.add(inode);
    }
    total += Number(st.blocks) * 512;
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(`${path}/${name}`);
  };
  visit(root);
  return total;
}
