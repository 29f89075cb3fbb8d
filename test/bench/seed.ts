/**
 * Seeds a root with many small committed records fast: rows straight through the
 * metadata port in one transaction, one small directory each.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { newId } from "../../src/core/ids.ts";
import { newRow } from "../../src/core/record.ts";
import { runtime } from "../../src/runtime/bun/index.ts";
import { openStore } from "../../src/store/store.ts";

export async function seed(root: string, n: number, opts: { chainEvery?: number } = {}): Promise<string[]> {
  mkdirSync(`${root}/snapshots`, { recursive: true });
  const store = await openStore(`${root}/meta.db`, runtime.openSqlite, { now: () => Date.now() });
  const ids: string[] = [];
  const now = Date.now();
  await store.write(async (tx) => {
    for (let i = 0; i < n; i++) {
      const id = newId();
      const parent = opts.chainEvery && i % opts.chainEvery !== 0 ? ids[i - 1] : undefined;
      mkdirSync(`${root}/snapshots/${id}`);
      writeFileSync(`${root}/snapshots/${id}/file`, "x");
      await tx.records.insert(newRow({
        id, kind: parent ? "layer" : "base", mutable: false, createdAt: now - (n - i) * 1000,
        snapshot: id, size: 8192, usageCount: i % 3, lastUsedAt: i % 3 ? now - (n - i) * 500 : null,
      }), parent ? [parent] : []);
      ids.push(id);
    }
  });
  await store.close();
  return ids;
}
