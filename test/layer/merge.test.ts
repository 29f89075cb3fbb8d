/** applySteps where a hardlink cannot be made: another filesystem means a copy. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { execSync } from "node:child_process";
import { linkSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { applySteps } from "../../src/layer/merge.ts";
import { sys } from "../../src/runtime/bun/sys.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

const asRoot = process.getuid?.() === 0;
let other: string;
let dir: string;
beforeAll(() => {
  dir = tempDir();
  other = tempDir("strata-tmpfs-");
  if (asRoot) execSync(`mount -t tmpfs -o size=8m strata-merge ${other}`);
});
afterAll(() => {
  if (asRoot) execSync(`umount ${other}`);
  cleanup(other);
  cleanup(dir);
});

test.if(asRoot)("files on another filesystem are copied, keeping mode, times and links among themselves", () => {
  mkdirSync(`${other}/up/sub`, { recursive: true });
  writeFileSync(`${other}/up/sub/f`, "data", { mode: 0o640 });
  linkSync(`${other}/up/sub/f`, `${other}/up/sub/g`);
  sys.utimens(`${other}/up/sub/f`, 1_500_000_000_000_000_000n, 1_500_000_000_123_000_000n);
  mkdirSync(`${dir}/dest`);
  applySteps(sys, `${dir}/dest`, [{ upper: `${other}/up` }], { deletions: true });
  const f = lstatSync(`${dir}/dest/sub/f`, { bigint: true });
  expect(readFileSync(`${dir}/dest/sub/f`, "utf8")).toBe("data");
  expect(f.ino).not.toBe(lstatSync(`${other}/up/sub/f`, { bigint: true }).ino);
  expect(Number(f.mode) & 0o777).toBe(0o640);
  expect(f.mtimeNs).toBe(1_500_000_000_123_000_000n);
  expect(lstatSync(`${dir}/dest/sub/g`).ino).toBe(Number(f.ino));
});
