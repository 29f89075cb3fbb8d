/**
 * A full disk (SPEC §8): import, export, commit, `new --parent` and merge
 * materialization fail with exit 9 and a one-line message naming what was being
 * written, leave no record, blob, temp file or directory behind, and leave the database
 * as it was. Each test runs on a small tmpfs of its own (the tests run as root).
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { cleanup, cli, ok, tempDir } from "./helpers/env.ts";
import { gnuTar } from "./helpers/tars.ts";

let dir: string;
let fs: string;
let root: string;
beforeEach(() => {
  dir = tempDir();
  fs = `${dir}/fs`;
  mkdirSync(fs);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=48m,nr_inodes=4000", "tmpfs", fs]);
  root = `${fs}/root`;
});
afterEach(() => {
  execFileSync("umount", ["-l", fs]);
  cleanup(dir);
});

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
/** Random bytes do not compress: a tree of `mb` MiB of them. */
function bigTree(at: string, mb: number) {
  mkdirSync(at, { recursive: true });
  for (let i = 0; i < mb; i++) writeFileSync(`${at}/r${i}`, Buffer.concat(Array.from({ length: 16 }, () => random(65536))));
}

const free = () => Number(statfsSync(fs).bavail) * Number(statfsSync(fs).bsize);
/** Fills the filesystem until `leave` bytes are free. */
const fill = (leave: number) => execFileSync("fallocate", ["-l", String(free() - leave), `${fs}/filler`]);
const unfill = () => rmSync(`${fs}/filler`, { force: true });

/** Everything a failed command must leave as it was: the database's rows and the store's files. */
function state() {
  const tables = ["records", "parents", "holds", "keys", "leases", "leaseBlobs", "blobs", "blobHolds"];
  const dump = execFileSync("python3", ["-c", `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(json.dumps({t: sorted(map(list, db.execute(f"SELECT * FROM {t}"))) for t in sys.argv[2:]}))`, `${root}/meta.db`, ...tables]).toString();
  const ls = (d: string) => readdirSync(`${root}/${d}`).sort();
  return { db: JSON.parse(dump), snapshots: ls("snapshots"), blobs: ls("content/blobs/sha256"), ingest: ls("content/ingest"), trash: ls("trash") };
}

/** Runs a command on a nearly full disk: exit 9, its message, and nothing changed. */
function fails(args: string[], message: RegExp, leave = 2 << 20) {
  const before = state();
  fill(leave);
  const r = cli(root, ...args);
  const j = cli(root, "--json", ...args);
  unfill();
  expect(r.code).toBe(9);
  expect(r.stderr).toMatch(/^strata: [^\n]+\n$/);
  expect(r.stderr).toMatch(message);
  expect(j.code).toBe(9);
  expect(JSON.parse(j.stderr).error.code).toBe("no_space");
  expect(state()).toEqual(before);
}

test("import: extracting a layer, or storing it lazily", () => {
  bigTree(`${dir}/t`, 8);
  gnuTar(`${dir}/t`, `${dir}/t.tgz`);
  ok(root, "du"); // the root exists, with its database
  fails(["import", `${dir}/t.tgz`], /^strata: importing a layer: writing its blob and its files: no space left on the device \(needs about \d.*, .* free\)\n$/);
  fails(["import", `${dir}/t.tgz`, "--lazy"], /^strata: importing a layer: writing its blob: no space left on the device \(needs about /);
});

test("export: writing a record's layer blob", () => {
  const m = ok(root, "new");
  bigTree(m.path, 8);
  const c = ok(root, "commit", m.id);
  ok(root, "new", "--parent", c.id); // finalized now, so the export below changes no row
  fails(["export", c.id, "--compression", "gzip"], new RegExp(`^strata: exporting record ${c.id}: no space left on the device`));
  expect(ok(root, "info", c.id).blob).toBeNull();
});

test("new --parent: copying the parent's tree", () => {
  const m = ok(root, "new");
  bigTree(m.path, 8);
  const c = ok(root, "commit", m.id);
  // A first child finalizes the parent (its mutable twin retires) while there is room.
  ok(root, "release", ok(root, "new", "--parent", c.id).id);
  ok(root, "du"); // measures and caches the parent's size
  fails(["new", "--parent", c.id], new RegExp(`^strata: making a snapshot on record ${c.id}: no space left on the device \\(needs about \\d`));
});

test("commit: the metadata database cannot grow", () => {
  const m = ok(root, "new");
  fails(["commit", m.id], /^strata: (opening|writing) the metadata database: no space left on the device\n$/, 0);
  expect(ok(root, "info", m.id).mutable).toBe(true);
});

test("merge: no inode left for its directories", () => {
  const inputs = [0, 1].map((i) => {
    const m = ok(root, "new");
    for (let j = 0; j < 60; j++) mkdirSync(`${m.path}/d${i}-${j}`);
    return ok(root, "commit", m.id).id as string;
  });
  const merged = ok(root, "merge", ...inputs);
  // Every inode taken but a few: enough to open the store and start, not to finish.
  mkdirSync(`${fs}/inodes`);
  let n = 0;
  try {
    for (;; n++) writeFileSync(`${fs}/inodes/${n}`, "");
  } catch { /* full */ }
  for (let i = 1; i <= 24; i++) rmSync(`${fs}/inodes/${n - i}`);
  const before = state();
  const r = cli(root, "path", merged.id);
  rmSync(`${fs}/inodes`, { recursive: true });
  expect(r.code).toBe(9);
  expect(r.stderr).toMatch(new RegExp(`^strata: making merge ${merged.id}: no space left on the device`));
  expect(state()).toEqual(before);
  expect(readdirSync(ok(root, "path", merged.id).path)).toHaveLength(120);
});
