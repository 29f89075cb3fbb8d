/**
 * Makes a node_modules-like tree: about 5,000 files and 100 MB in a few hundred
 * packages, mostly small sources with a few large binaries, plus `.bin` symlinks.
 * Content comes from a seeded generator, so every run measures the same tree.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";

export interface TreeOptions {
  files?: number;
  bytes?: number;
  seed?: number;
}

export function makeTree(root: string, opts: TreeOptions = {}): { files: number; bytes: number } {
  const files = opts.files ?? 5000;
  const bytes = opts.bytes ?? 100e6;
  let state = opts.seed ?? 42;
  const rand = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const big = Math.max(1, Math.round(files / 50));
  const smallBytes = bytes * 0.25;
  const bigBytes = bytes - smallBytes;
  const chunk = new Uint8Array(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (rand() * 256) | 0;

  mkdirSync(`${root}/.bin`, { recursive: true });
  let written = 0;
  let packages = 0;
  for (let i = 0; i < files; ) {
    const pkg = `${root}/pkg-${packages++}`;
    mkdirSync(`${pkg}/lib/util`, { recursive: true });
    writeFileSync(`${pkg}/package.json`, JSON.stringify({ name: `pkg-${packages}`, version: "1.0.0" }));
    symlinkSync(`../pkg-${packages - 1}/package.json`, `${root}/.bin/pkg-${packages - 1}`);
    i++;
    const n = Math.min(files - i, 5 + Math.floor(rand() * 20));
    for (let j = 0; j < n; j++, i++) {
      const isBig = i % Math.floor(files / big) === 0;
      const size = isBig
        ? Math.floor((bigBytes / big) * (0.5 + rand()))
        : Math.floor((smallBytes / files) * 2 * rand());
      const dir = j % 3 === 0 ? `${pkg}/lib/util` : `${pkg}/lib`;
      const start = Math.floor(rand() * (chunk.length / 2));
      const data = size <= chunk.length - start
        ? chunk.subarray(start, start + size)
        : Buffer.concat(Array.from({ length: Math.ceil(size / chunk.length) }, () => chunk)).subarray(0, size);
      writeFileSync(`${dir}/${j === 0 ? "index" : `f${j}`}.${isBig ? "node" : "js"}`, data);
      written += size;
    }
  }
  return { files, bytes: written };
}

if (import.meta.main) {
  const root = process.argv[2];
  if (!root) throw new Error("usage: tree.ts DIR");
  console.log(makeTree(root));
}
