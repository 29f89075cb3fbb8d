/** Helpers of the snapshotter suites: a fresh snapshotter per test, committed trees, tree listings. */
import { lstatSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import type { Snapshotter } from "../../src/core/ports/snapshots.ts";
import { inTemp } from "./harness.ts";

/** Makes the snapshotter under test on a fresh root directory. */
export type MakeSnapshotter = (root: string) => Promise<Snapshotter>;

export const on = (make: MakeSnapshotter, fn: (s: Snapshotter, root: string) => Promise<void>) => () =>
  inTemp(async (root) => {
    const s = await make(root);
    try {
      await fn(s, root);
    } finally {
      for (const key of s.list()) await s.remove(key);
    }
  });

/** A committed snapshot holding `files` (path → content), on `parent` if given. */
export async function committed(s: Snapshotter, key: string, files: { [path: string]: string }, parent?: string) {
  await s.prepare(key, parent);
  const dir = await s.mount(key);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(`${dir}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
    writeFileSync(`${dir}/${path}`, text);
  }
  await s.commit(key);
  return dir;
}

export const tree = (dir: string): string[] => {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(rel ? `${dir}/${rel}` : dir).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      out.push(p);
      if (lstatSync(`${dir}/${p}`).isDirectory()) walk(p);
    }
  };
  walk("");
  return out;
};

