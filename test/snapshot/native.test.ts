/** Where snapshots live: `ROOT/snapshots`, a directory whose subdirectories ext4 spreads. */
import { afterAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { sys } from "../../src/runtime/bun/sys.ts";
import { cleanup, open, tempDir } from "../helpers/env.ts";

const dir = tempDir();
afterAll(() => cleanup(dir));

const attrs = (path: string) => execFileSync("lsattr", ["-d", path]).toString().split(" ")[0]!;

test("a new root marks its snapshot directory as a top directory (chattr +T)", async () => {
  const svc = await open(`${dir}/root`);
  try {
    expect(attrs(`${dir}/root`)).not.toContain("T");
    expect(attrs(`${dir}/root/snapshots`)).toContain("T");
  } finally {
    await svc.close();
  }
});

test("markTopDir keeps the directory's other flags and is idempotent", () => {
  const d = `${dir}/flags`;
  mkdirSync(d);
  execFileSync("chattr", ["+A", d]);
  expect(sys.markTopDir(d)).toBe(true);
  expect(sys.markTopDir(d)).toBe(true);
  const a = attrs(d);
  expect(a).toContain("A");
  expect(a).toContain("T");
});

test("markTopDir says false where the filesystem has no inode flags", () => {
  expect(sys.markTopDir("/proc")).toBe(false);
});
