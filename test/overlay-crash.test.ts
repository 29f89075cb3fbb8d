/**
 * Crashes on an overlayfs root (SPEC §3.14, §7): processes killed with SIGKILL while they
 * mount, commit, import and prune; afterwards `check --repair` leaves no stale mount, no
 * directory without a record, nothing in the trash, and every acknowledged record whole.
 * Where each process dies varies; what must hold afterwards does not.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync, realpathSync, writeFileSync } from "node:fs";
import { runtime } from "../src/runtime/bun/index.ts";
import { mountsUnder } from "../src/snapshot/overlay/mountinfo.ts";
import { openStore } from "../src/store/store.ts";
import { makeTree } from "./bench/tree.ts";
import { cleanup, cliCommand, ok, tempDir } from "./helpers/env.ts";
import { gnuTar } from "./helpers/tars.ts";

let dir: string;
let root: string;
beforeAll(() => {
  dir = tempDir();
  root = `${dir}/root`;
});
afterAll(() => cleanup(dir));

const ov = (...args: string[]) => ok(root, "--snapshotter", "overlayfs", ...args);
const spawn = (...args: string[]) =>
  Bun.spawn([...cliCommand(), "--root", root, "--snapshotter", "overlayfs", "--json", ...args], { stdout: "pipe", stderr: "pipe" });

/** Kills `p` once `ready()` holds (or it has finished); returns its JSON output if it finished first. */
async function killWhen(p: ReturnType<typeof spawn>, ready: () => boolean): Promise<any> {
  for (let i = 0; i < 5000 && !ready() && p.exitCode === null; i++) await Bun.sleep(1);
  p.kill("SIGKILL");
  const code = await p.exited;
  return code === 0 ? JSON.parse(await new Response(p.stdout).text()) : undefined;
}

test("SIGKILL during new --parent, commit, import and prune, then check --repair: no stale mount, no leak", async () => {
  const base = ov("new");
  makeTree(base.path, { files: 600, bytes: 6e6 });
  const parent = ov("commit", base.id);
  makeTree(`${dir}/layer`, { files: 300, bytes: 3e6, seed: 7 });
  gnuTar(`${dir}/layer`, `${dir}/layer.tgz`);
  const acknowledged: string[] = [parent.id];
  const snapshots = () => readdirSync(`${root}/snapshots`).length;
  const mounts = () => mountsUnder(realpathSync(root)).length;

  for (let round = 0; round < 6; round++) {
    // new --parent: killed once its mount is there (or wherever it got to).
    const before = mounts();
    const child = await killWhen(spawn("new", "--parent", parent.id), () => mounts() > before);
    if (child) acknowledged.push(child.id);
    // commit, then finalize (a child of the commit remounts the parent read-only).
    const m = ov("new", "--parent", parent.id);
    writeFileSync(`${m.path}/round`, String(round));
    const committed = await killWhen(spawn("commit", m.id), () => round % 2 === 0);
    if (committed) {
      acknowledged.push(committed.id);
      const grandchild = await killWhen(spawn("new", "--parent", committed.id), () => mounts() > before + 2);
      if (grandchild) acknowledged.push(grandchild.id);
    } else acknowledged.push(m.id);
    // import on the parent: killed once its snapshot exists, while it extracts.
    const n = snapshots();
    const imported = await killWhen(spawn("import", `${dir}/layer.tgz`, "--parent", parent.id), () => snapshots() > n);
    if (imported) acknowledged.push(imported.id);
  }
  // prune of everything nobody holds: killed after its first records go.
  const many: string[] = [];
  for (let i = 0; i < 8; i++) {
    const c = ov("new", "--parent", parent.id);
    many.push(ov("commit", c.id).id);
    ov("release", c.id);
  }
  const p = spawn("prune", "--all");
  const reader = p.stdout.getReader();
  await reader.read();
  p.kill("SIGKILL");
  await p.exited;

  ov("check", "--repair");
  expect(ov("check").problems).toEqual([]);
  const store = await openStore(`${root}/meta.db`, runtime.openSqlite, { now: () => Date.now() });
  const owned = await store.read((tx) => tx.records.snapshotKeys());
  const ready = new Set((await store.read((tx) => tx.records.allReady())).map((r) => r.id));
  await store.close();
  // Every mount and every directory belongs to a record; nothing is left aside.
  const real = realpathSync(root);
  for (const point of mountsUnder(real)) expect(owned.has(point.slice(real.length).split("/")[2]!)).toBe(true);
  expect(new Set(readdirSync(`${root}/snapshots`))).toEqual(owned);
  expect(readdirSync(`${root}/trash`)).toEqual([]);
  // Whatever was acknowledged and not pruned is whole (pruned ones went by their record).
  for (const id of acknowledged.filter((id) => ready.has(id))) {
    const path = ov("path", id, ...(ov("info", id).mutable ? ["--rw"] : [])).path;
    expect(existsSync(`${path}/pkg-0/package.json`)).toBe(true);
  }
  expect(ready.has(parent.id)).toBe(true);
});
