/** check, check --repair and gc against damage done behind strata's back. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { runtime } from "../src/runtime/bun/index.ts";
import { hostProcesses } from "../src/runtime/processes.ts";
import { openStore } from "../src/store/store.ts";
import { cleanup, cli, ok, tempDir } from "./helpers/env.ts";

let root: string;
beforeEach(() => (root = tempDir()));
afterEach(() => cleanup(root));

function committed(parent?: string) {
  const m = ok(root, "new", ...(parent ? ["--parent", parent] : []));
  writeFileSync(`${m.path}/f-${m.id}`, "x".repeat(5000));
  return { ...ok(root, "commit", m.id), path: m.path, mutableId: m.id };
}

test("check finds each kind of damage, --repair fixes it, intact records stay", async () => {
  const intact = committed();
  const lost = committed();
  const childOfLost = committed(lost.id);
  const resized = committed();
  const unowned = committed();
  const parentGone = committed();
  const orphaned = committed(parentGone.id);
  rmSync(lost.path, { recursive: true });
  mkdirSync(`${root}/snapshots/stray`);
  writeFileSync(`${resized.path}/extra`, "y".repeat(20000));
  const store = await openStore(`${root}/meta.db`, runtime.openSqlite, { now: () => Date.now() });
  await store.write(async (tx) => {
    await tx.records.delete([unowned.id, unowned.mutableId]); // its directory becomes data without a record
    await tx.records.delete([parentGone.id]); // its directory is left without a record, its child's links dangle
  });
  await store.close();

  const report = ok(root, "check");
  const kinds = report.problems.map((p: { problem: string; id?: string }) => `${p.problem}:${p.id ?? "dir"}`).sort();
  expect(kinds).toEqual([
    `dangling-parent:${orphaned.id}`,
    `dangling-parent:${orphaned.mutableId}`, // the child's uncommitted twin names the parent too
    `missing-data:${lost.id}`,
    "orphan-data:dir", // stray
    "orphan-data:dir", // unowned
    "orphan-data:dir", // parentGone
    `size-cache:${resized.id}`,
  ].sort());
  expect(report.problems.every((p: { repaired: boolean }) => !p.repaired)).toBe(true);
  // Reporting changed nothing.
  expect(ok(root, "check").problems).toHaveLength(7);

  const repaired = ok(root, "check", "--repair");
  expect(repaired.problems.every((p: { repaired: boolean }) => p.repaired)).toBe(true);
  expect(ok(root, "check").problems).toEqual([]);
  expect(existsSync(`${root}/snapshots/stray`)).toBe(false);
  expect(existsSync(unowned.path)).toBe(false);
  expect(ok(root, "info", childOfLost.id)).toMatchObject({ kind: "base", parents: [] });
  expect(ok(root, "info", orphaned.id)).toMatchObject({ kind: "base", parents: [] });
  expect(ok(root, "info", resized.id).size).toBeGreaterThanOrEqual(25000);
  expect(cli(root, "info", lost.id).code).toBe(3);
  // The intact record and its data were not touched.
  expect(ok(root, "info", intact.id).id).toBe(intact.id);
  expect(existsSync(`${intact.path}/f-${intact.mutableId}`)).toBe(true);
});

test("what a process that died set aside for deletion: check leaves it, --repair deletes it as a start-up would", () => {
  committed();
  // As a prune killed in the middle of deleting leaves it (trash.ts names entries after their owner).
  const dead = `${root}/trash/999999999:1~k1~0000`;
  mkdirSync(`${dead}/a/b`, { recursive: true });
  writeFileSync(`${dead}/a/b/f`, "x");
  // A live process's (this test's) is its own to finish.
  const live = `${root}/trash/${hostProcesses().self}~k2~0000`;
  mkdirSync(live);
  // Not damage: unfinished work, which reporting does not touch.
  expect(ok(root, "check").problems).toEqual([]);
  expect(existsSync(dead)).toBe(true);
  expect(ok(root, "check", "--repair").problems).toEqual([]);
  expect(existsSync(dead)).toBe(false);
  expect(existsSync(live)).toBe(true);
});

test("gc removes directories nothing refers to and reports the bytes", () => {
  committed();
  mkdirSync(`${root}/snapshots/junk`);
  writeFileSync(`${root}/snapshots/junk/big`, Buffer.alloc(100_000, 1));
  mkdirSync(`${root}/trash/half-deleted`, { recursive: true });
  writeFileSync(`${root}/trash/half-deleted/f`, Buffer.alloc(50_000, 1));
  const r = ok(root, "gc");
  expect(r.dirs).toBe(1);
  expect(r.blobs).toBe(0);
  expect(r.bytes).toBeGreaterThanOrEqual(150_000);
  expect(existsSync(`${root}/snapshots/junk`)).toBe(false);
  expect(ok(root, "gc")).toEqual({ blobs: 0, dirs: 0, bytes: 0 });
  expect(ok(root, "du").records).toHaveLength(1);
});

test("prune removes its records' blobs unless a record or a lease still refers to them; gc removes the rest at once", async () => {
  const { gnuTar } = await import("./helpers/tars.ts");
  const { readdirSync } = await import("node:fs");
  const src = `${root}-src`;
  mkdirSync(`${src}/a`, { recursive: true });
  writeFileSync(`${src}/a/f`, "a");
  gnuTar(`${src}/a`, `${src}/a.tgz`);
  mkdirSync(`${src}/b`);
  writeFileSync(`${src}/b/f`, "b");
  gnuTar(`${src}/b`, `${src}/b.tgz`);
  const blobs = () => readdirSync(`${root}/content/blobs/sha256`).map((h) => `sha256:${h}`).sort();
  const kept = ok(root, "import", `${src}/a.tgz`);
  const dropped = ok(root, "import", `${src}/b.tgz`);
  const variant = ok(root, "export", kept.id, "--compression", "zstd").layers[0].digest; // another compression of kept's layer
  const pruned = cli(root, "--json", "prune", "--all", "--filter", `id==${dropped.id}`).stdout.trim().split("\n").map((l) => JSON.parse(l));
  expect(pruned.at(-1).summary).toEqual({ records: 1, bytes: dropped.size + dropped.blob.size });
  expect(blobs()).toEqual([kept.blob.digest, variant].sort());
  // What no process wrote and nothing refers to goes at once, however new.
  writeFileSync(`${root}/content/blobs/sha256/${"0".repeat(64)}`, Buffer.alloc(3000));
  writeFileSync(`${root}/content/ingest/999999:1~dead`, Buffer.alloc(1000));
  const r = ok(root, "gc");
  expect(r.blobs).toBe(1);
  expect(r.bytes).toBeGreaterThanOrEqual(3000 + 1000);
  expect(blobs()).toEqual([kept.blob.digest, variant].sort());
  expect(readdirSync(`${root}/content/ingest`)).toEqual([]);
  // A lease keeps a blob by digest even when no record refers to it any more.
  ok(root, "lease", "create", "--id", "keep-blob");
  expect(ok(root, "lease", "add", "keep-blob", kept.blob.digest).blobs).toEqual([kept.blob.digest]);
  ok(root, "prune", "--all");
  expect(blobs()).toEqual([kept.blob.digest]);
  expect(ok(root, "gc").blobs).toBe(0);
  ok(root, "lease", "rm", "keep-blob");
  expect(ok(root, "gc").blobs).toBe(1);
  expect(blobs()).toEqual([]);
  cleanup(src);
});

test("check finds a corrupt or missing blob, --repair forgets it, a lazy record then says missing blob", async () => {
  const { gnuTar } = await import("./helpers/tars.ts");
  const src = `${root}-src`;
  mkdirSync(`${src}/a`, { recursive: true });
  writeFileSync(`${src}/a/f`, "a");
  gnuTar(`${src}/a`, `${src}/a.tgz`);
  const lazy = ok(root, "import", "--lazy", `${src}/a.tgz`);
  writeFileSync(`${root}/content/blobs/sha256/${lazy.blob.digest.slice(7)}`, "tampered");
  const report = ok(root, "check");
  expect(report.problems.map((p: { problem: string }) => p.problem)).toEqual(["blob-digest"]);
  ok(root, "check", "--repair");
  expect(ok(root, "check").problems).toEqual([]);
  expect(cli(root, "path", lazy.id).code).toBe(6);
  cleanup(src);
});
