/** Start-up recovery (SPEC §3.14): damage and interrupted work found and mended on open. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostProcesses } from "../src/runtime/processes.ts";
import { runtime } from "../src/runtime/bun/index.ts";
import { openStore } from "../src/store/store.ts";
import { cleanup, open, tempDir } from "./helpers/env.ts";

let root: string;
beforeEach(() => (root = tempDir()));
afterEach(() => cleanup(root));

const rawStore = () => openStore(`${root}/meta.db`, runtime.openSqlite, { now: () => Date.now() });

async function chain() {
  const svc = await open(root);
  const a = await svc.create({});
  writeFileSync(`${a.path}/f`, "a");
  const ia = await svc.commit({ id: a.id });
  const b = await svc.create({ parent: ia.id });
  const ib = await svc.commit({ id: b.id });
  await svc.close();
  return { a, ia, b, ib };
}

test("a record whose directory vanished is dropped; its child keeps its own copy", async () => {
  const { a, ib, b } = await chain();
  rmSync(a.path, { recursive: true });
  const svc = await open(root);
  await expect(svc.info({ ref: a.id })).rejects.toMatchObject({ code: "not_found" });
  const child = await svc.info({ ref: ib.id });
  expect(child).toMatchObject({ kind: "base", parents: [] });
  expect(existsSync(`${b.path}/f`)).toBe(true);
  await svc.close();
});

test("a directory no record owns is removed", async () => {
  await chain();
  mkdirSync(`${root}/snapshots/stray`);
  writeFileSync(`${root}/snapshots/stray/x`, "x");
  const svc = await open(root);
  expect(existsSync(`${root}/snapshots/stray`)).toBe(false);
  expect((await svc.du({})).records).toHaveLength(2);
  await svc.close();
});

test("a removal interrupted after its tombstone is finished", async () => {
  const { ib, b } = await chain();
  const store = await rawStore();
  // A committed record goes together with its mutable twin, as prune marks them.
  await store.write((tx) => tx.records.update([ib.id, b.id], { state: "deleting" }));
  await store.close();
  const svc = await open(root);
  await expect(svc.info({ ref: ib.id })).rejects.toMatchObject({ code: "not_found" });
  expect(existsSync(b.path)).toBe(false);
  await svc.close();
});

test("a removal a live process is making is left to it, with the directory scan; once that process is gone, the next open does both", async () => {
  const { ib, b } = await chain();
  // Changed behind strata's back meanwhile: found by the scan, once it runs.
  mkdirSync(`${root}/snapshots/stray`);
  const remover = Bun.spawn(["sleep", "60"]);
  const owner = `${remover.pid}:${readFileSync(`/proc/${remover.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19]}`;
  try {
    const store = await rawStore();
    await store.write((tx) => tx.records.update([ib.id, b.id], { state: "deleting", owner }));
    await store.close();
    await (await open(root)).close();
    expect([existsSync(b.path), existsSync(`${root}/snapshots/stray`)]).toEqual([true, true]);
  } finally {
    remover.kill(9);
    await remover.exited;
  }
  const svc = await open(root);
  await expect(svc.info({ ref: ib.id })).rejects.toMatchObject({ code: "not_found" });
  expect([existsSync(b.path), existsSync(`${root}/snapshots/stray`)]).toEqual([false, false]);
  await svc.close();
});

test("this process's own removals are not taken over by its own recovery (a daemon's reap beside its prune)", async () => {
  const { ib, b } = await chain();
  const store = await rawStore();
  await store.write((tx) => tx.records.update([ib.id, b.id], { state: "deleting", owner: hostProcesses().self }));
  await (await open(root)).close();
  expect(existsSync(b.path)).toBe(true);
  // Given back (a removal that failed): the next open finishes it.
  await store.write((tx) => tx.records.update([ib.id, b.id], { owner: null }));
  await store.close();
  await (await open(root)).close();
  expect(existsSync(b.path)).toBe(false);
});

test("a removal that fails half way is given back: the next open finishes it", async () => {
  const svc = await open(root);
  const m = await svc.create({});
  writeFileSync(`${m.path}/f`, "x");
  // The trash cannot take the directory: its place is a file.
  rmSync(`${root}/trash`, { recursive: true });
  writeFileSync(`${root}/trash`, "");
  await expect(svc.release({ id: m.id })).rejects.toThrow();
  await svc.close();
  const store = await rawStore();
  const row = await store.read((tx) => tx.records.get(m.id));
  await store.close();
  expect([row?.state, row?.owner, existsSync(m.path)]).toEqual(["deleting", null, true]);
  rmSync(`${root}/trash`);
  await (await open(root)).close();
  expect(existsSync(m.path)).toBe(false);
});

test("whatever was left in the trash is deleted", async () => {
  await chain();
  mkdirSync(`${root}/trash/leftover/deep`, { recursive: true });
  await (await open(root)).close();
  expect(readdirSync(`${root}/trash`)).toEqual([]);
});

test("a twin whose mutable half is gone owns its snapshot alone", async () => {
  const svc0 = await open(root);
  const m = await svc0.create({});
  const i = await svc0.commit({ id: m.id });
  await svc0.close();
  const store = await rawStore();
  await store.write((tx) => tx.records.delete([m.id]));
  await store.close();
  mkdirSync(`${root}/snapshots/poke`); // make the snapshot directory look changed
  const svc = await open(root);
  const store2 = await rawStore();
  expect((await store2.read((tx) => tx.records.get(i.id)))?.twin).toBeNull();
  await store2.close();
  expect(existsSync((await svc.path({ ref: i.id })).path)).toBe(true);
  await svc.close();
});

test("an up-to-date store opens and reads without taking the write lock", async () => {
  const { ib } = await chain();
  await (await open(root)).close();
  // Another connection holds the write lock; open and info must not wait for it.
  const { Database } = await import("bun:sqlite");
  const blocker = new Database(`${root}/meta.db`);
  blocker.run("BEGIN IMMEDIATE");
  try {
    const started = Date.now();
    const svc = await open(root);
    expect((await svc.info({ ref: ib.id })).id).toBe(ib.id);
    await svc.close();
    // Waiting for the lock would mean SQLite's busy wait, 10 s; a busy disk is slow, not that slow.
    expect(Date.now() - started).toBeLessThan(8000);
  } finally {
    blocker.run("ROLLBACK");
    blocker.close();
  }
});
