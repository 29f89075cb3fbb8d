/**
 * A write lock another process keeps past SQLite's busy timeout (a stopped or stuck
 * process) is exit 4, *locked*, with one line saying so; the store is unchanged. So is a
 * database another process holds exclusively, after the same wait, not many of them.
 * The status tables' own writes (a daemon's usage samples) are told the same way.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { runtime } from "../../src/runtime/bun/index.ts";
import { openStore } from "../../src/store/store.ts";
import { cleanup, cli, cliCommand, ok, tempDir } from "../helpers/env.ts";

let root: string;
beforeEach(() => (root = tempDir()));
afterEach(() => cleanup(root));

test("a write lock held past the busy timeout is exit 4 with a one-line message, and nothing is made", () => {
  const before = ok(root, "--json", "new", "--description", "before").id;
  const blocker = new Database(`${root}/meta.db`);
  blocker.run("BEGIN IMMEDIATE");
  let r;
  try {
    r = cli(root, "--json", "new", "--description", "during");
  } finally {
    blocker.run("ROLLBACK");
    blocker.close();
  }
  expect({ code: r.code, stdout: r.stdout, lines: r.stderr.trimEnd().split("\n").length }).toEqual({ code: 4, stdout: "", lines: 1 });
  expect(JSON.parse(r.stderr).error).toEqual({ code: "locked", message: expect.stringContaining("metadata database is locked") });
  expect(ok(root, "--json", "du").records.map((x: { id: string }) => x.id)).toEqual([before]);
});

test("a database another process holds exclusively is exit 4 after the busy timeout, not a wait for each retry", async () => {
  const before = ok(root, "--json", "new", "--description", "before").id;
  const blocker = new Database(`${root}/meta.db`);
  blocker.run("PRAGMA locking_mode = EXCLUSIVE");
  blocker.run("BEGIN EXCLUSIVE");
  blocker.run("COMMIT"); // the exclusive lock stays with the connection
  let result;
  try {
    const child = Bun.spawn([...cliCommand(), "--root", root, "--json", "du"], { stdout: "pipe", stderr: "pipe" });
    // Only to end a hang: each open retry waited the whole busy timeout (45 × 10 s).
    const ended = await Promise.race([child.exited, Bun.sleep(60_000).then(() => "hung")]);
    if (ended === "hung") child.kill("SIGKILL");
    result = { ended, stdout: await new Response(child.stdout).text(), stderr: await new Response(child.stderr).text() };
  } finally {
    blocker.close();
  }
  expect({ ended: result.ended, stdout: result.stdout, lines: result.stderr.trimEnd().split("\n").length }).toEqual({ ended: 4, stdout: "", lines: 1 });
  expect(JSON.parse(result.stderr).error).toEqual({ code: "locked", message: expect.stringContaining("metadata database is locked") });
  expect(ok(root, "--json", "du").records.map((x: { id: string }) => x.id)).toEqual([before]);
}, 90_000);

test("a status write (a usage sample) behind a held write lock is told as locked too, not in SQLite's words", async () => {
  const store = await openStore(`${root}/meta.db`, runtime.openSqlite, { now: () => Date.now() });
  const blocker = new Database(`${root}/meta.db`);
  blocker.run("BEGIN IMMEDIATE");
  const sample = { at: 1, records: 0, used: 0, reclaimable: 0, metadata: 0, content: 0, fsSize: 1, fsFree: 1 };
  let err: unknown;
  try {
    await store.status().addSample(sample);
  } catch (e) {
    err = e;
  } finally {
    blocker.run("ROLLBACK");
    blocker.close();
  }
  expect(err).toMatchObject({ code: "locked", message: expect.stringContaining("metadata database is locked") });
  // Nothing half written; the store goes on once the lock is gone.
  expect(await store.status().samples()).toEqual([]);
  await store.status().addSample(sample);
  expect(await store.status().samples()).toEqual([sample]);
  await store.close();
}, 30_000);
