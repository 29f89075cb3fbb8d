/**
 * Many jobs on one host (SPEC §8): two processes that need the same lazy record or merge
 * made do it once, the second waiting for the first (never *locked*); when the first is
 * killed half way, the second finishes it. The lazy blob is read through a FIFO the test
 * writes, so which process reads it, and how far it got, is decided by the test, not by
 * timing: a second extraction would wait forever on a FIFO nobody writes again.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open as openFile } from "node:fs/promises";
import { cleanup, cliCommand, ok, tempDir } from "./helpers/env.ts";
import { gnuTar } from "./helpers/tars.ts";

let dir: string;
let root: string;
beforeEach(() => {
  dir = tempDir();
  root = `${dir}/root`;
});
afterEach(() => cleanup(dir));

const spawn = (...args: string[]) =>
  Bun.spawn([...cliCommand(), "--root", root, "--json", ...args], { stdout: "pipe", stderr: "pipe" });

async function result(p: ReturnType<typeof spawn>) {
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code, json: code === 0 ? JSON.parse(out) : undefined, stderr: err };
}

/** A lazy record of a layer of many files, its blob swapped for a FIFO the test feeds. */
function lazyOverFifo() {
  mkdirSync(`${dir}/t`);
  for (let i = 0; i < 400; i++) writeFileSync(`${dir}/t/f${i}`, `file ${i}\n`.repeat(200));
  gnuTar(`${dir}/t`, `${dir}/t.tgz`);
  const rec = ok(root, "import", `${dir}/t.tgz`, "--lazy");
  const blob = `${root}/content/blobs/sha256/${rec.blob.digest.slice(7)}`;
  rmSync(blob);
  execFileSync("mkfifo", [blob]);
  return { rec, blob, bytes: readFileSync(`${dir}/t.tgz`) };
}

/** Feeds the FIFO to whichever process opens it next: `upTo` bytes, then closes. */
async function feed(fifo: string, bytes: Uint8Array, upTo = bytes.length) {
  const w = await openFile(fifo, "w"); // returns once a reader has opened it
  await w.write(bytes.subarray(0, upTo));
  return w;
}

/** Whether a process has a thread blocked waiting for a file lock (the kernel says where it sleeps). */
function waitingOnLock(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).some((t) => readFileSync(`/proc/${pid}/task/${t}/wchan`, "utf8").includes("lock_inode_wait"));
  } catch {
    return false;
  }
}

/** Waits for a condition, checking often, for at most a generous bound. */
async function until(what: string, ok: () => boolean) {
  for (let i = 0; i < 3000 && !ok(); i++) await Bun.sleep(10);
  if (!ok()) throw new Error(`gave up waiting: ${what}`);
}

/** Whether the mark recovery compares is the snapshot directory as it is (the native snapshotter's version). */
function markIsDirectory(): boolean {
  const st = statSync(`${root}/snapshots`, { bigint: true });
  const db = new Database(`${root}/meta.db`, { readonly: true });
  try {
    return (db.query("SELECT value FROM meta WHERE name = 'snapshots.version'").get() as { value: string }).value === `${st.mtimeNs}:${st.nlink}`;
  } finally {
    db.close();
  }
}

const files = (path: string) => readdirSync(path).filter((n) => n.startsWith("f")).length;

test("two processes asking for one lazy record at once: one extraction, both get it", async () => {
  const { rec, blob, bytes } = lazyOverFifo();
  const [a, b] = [spawn("path", rec.id), spawn("path", rec.id)];
  await (await feed(blob, bytes)).close();
  const [ra, rb] = await Promise.all([result(a), result(b)]);
  expect([ra.code, rb.code, ra.stderr, rb.stderr]).toEqual([0, 0, "", ""]);
  expect(ra.json.path).toBe(rb.json.path);
  expect(files(ra.json.path)).toBe(400);
  expect(ok(root, "info", rec.id).lazy).toBe(false);
  expect(readdirSync(`${root}/snapshots`)).toHaveLength(1);
});

test("the first killed half way through extracting: the second, already waiting, starts over and finishes", async () => {
  const { rec, blob, bytes } = lazyOverFifo();
  const first = spawn("path", rec.id);
  const half = await feed(blob, bytes, bytes.length >> 1); // the first is extracting now
  const second = spawn("path", rec.id);
  await until("the second process waits for the first's lock", () => waitingOnLock(second.pid));
  first.kill(9);
  expect(await first.exited).not.toBe(0);
  await half.close().catch(() => {});
  await (await feed(blob, bytes)).close(); // for whoever extracts next: the second
  const r = await result(second);
  expect([r.code, r.stderr]).toEqual([0, ""]);
  expect(files(r.json.path)).toBe(400);
  expect(readFileSync(`${r.json.path}/f7`, "utf8")).toBe("file 7\n".repeat(200));
  // The half-made snapshot is gone; nothing is left held or unexplained (the FIFO made a
  // file again for check, which reads every blob).
  expect(readdirSync(`${root}/snapshots`)).toEqual([r.json.path.split("/").at(-1)]);
  rmSync(blob);
  writeFileSync(blob, bytes);
  expect(ok(root, "check").problems).toEqual([]);
  expect(ok(root, "info", rec.id)).toMatchObject({ lazy: false, inUse: false });
});

test("a command started while another process extracts leaves the directory scan to a later one", async () => {
  const { rec, blob, bytes } = lazyOverFifo();
  const first = spawn("path", rec.id);
  const half = await feed(blob, bytes, bytes.length >> 1); // the first is extracting: its directory is made
  const stray = `${root}/snapshots/stray`;
  mkdirSync(stray); // behind strata's back
  ok(root, "info", rec.id);
  expect(existsSync(stray)).toBe(true);
  await half.write(bytes.subarray(bytes.length >> 1));
  await half.close();
  expect((await result(first)).code).toBe(0);
  // The stray was not the extractor's change, so the next start-up scans and removes it.
  ok(root, "du");
  expect(existsSync(stray)).toBe(false);
});

test("after an extraction, the snapshot directory's mark is where the extractor left it: the next start-up has nothing to scan", async () => {
  mkdirSync(`${dir}/t`);
  writeFileSync(`${dir}/t/f`, "x");
  gnuTar(`${dir}/t`, `${dir}/t.tgz`);
  const rec = ok(root, "import", `${dir}/t.tgz`, "--lazy");
  ok(root, "path", rec.id);
  expect(markIsDirectory()).toBe(true);
});

test("after a merge is made, the mark covers its directory too", () => {
  const made = (name: string) => {
    mkdirSync(`${dir}/${name}`);
    writeFileSync(`${dir}/${name}/${name}`, name);
    gnuTar(`${dir}/${name}`, `${dir}/${name}.tgz`);
    return ok(root, "import", `${dir}/${name}.tgz`, "--lazy").id;
  };
  const merged = ok(root, "merge", made("a"), made("b"));
  expect(readdirSync(ok(root, "path", merged.id).path).sort()).toEqual(["a", "b"]);
  expect(markIsDirectory()).toBe(true);
});

test("a diff without UPPER is an empty tree, made without making LOWER (whose blob may be gone)", () => {
  mkdirSync(`${dir}/t`);
  writeFileSync(`${dir}/t/f`, "x");
  gnuTar(`${dir}/t`, `${dir}/t.tgz`);
  const lower = ok(root, "import", `${dir}/t.tgz`, "--lazy");
  rmSync(`${root}/content/blobs/sha256/${lower.blob.digest.slice(7)}`);
  const diff = ok(root, "diff", lower.id);
  expect(readdirSync(ok(root, "path", diff.id).path)).toEqual([]);
  expect(ok(root, "info", lower.id).lazy).toBe(true);
});

test("two processes asking for one merge at once: both get the same tree, neither is locked", async () => {
  const inputs = [0, 1, 2].map((i) => {
    const m = ok(root, "new");
    for (let j = 0; j < 300; j++) writeFileSync(`${m.path}/in${i}-${j}`, `${i}.${j}`);
    return ok(root, "commit", m.id).id as string;
  });
  const merged = ok(root, "merge", ...inputs);
  const runs = await Promise.all([spawn("path", merged.id), spawn("path", merged.id), spawn("path", merged.id)].map(result));
  for (const r of runs) expect([r.code, r.stderr]).toEqual([0, ""]);
  expect(new Set(runs.map((r) => r.json.path)).size).toBe(1);
  expect(readdirSync(runs[0]!.json.path)).toHaveLength(900);
  expect(ok(root, "check").problems).toEqual([]);
});
