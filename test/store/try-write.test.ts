/**
 * `tryWrite` gives up at once when another process is writing, and only it: a write of
 * this process queued behind it still waits its turn with the busy timeout.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { openSqlite } from "../../src/runtime/bun/sqlite.ts";
import { openStore } from "../../src/store/store.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => cleanup(dir));

test("a write queued behind a tryWrite waits for another process's writer instead of failing", async () => {
  const file = `${dir}/meta.db`;
  const store = await openStore(file, openSqlite, { now: () => Date.now() });
  // Another process holds the write lock for a while (in this thread, SQLite's busy wait
  // would block whatever told it to let go, so it lets go on its own). If this process
  // stalls past that while, tryWrite finds the lock free and proves nothing: hold longer.
  let tried;
  for (const ms of [500, 3000, 9000]) {
    const other = Bun.spawn(["bun", "-e", `
      const { Database } = require("bun:sqlite");
      const db = new Database(${JSON.stringify(file)});
      db.run("BEGIN IMMEDIATE");
      console.log("locked");
      await Bun.sleep(${ms});
      db.run("COMMIT");
    `], { stdout: "pipe" });
    const reader = other.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("locked\n");
    tried = store.tryWrite((tx) => tx.meta.set("k", "tried"));
    const waited = store.write((tx) => tx.meta.set("k", "waited"));
    tried = await tried;
    await waited;
    expect(await other.exited).toBe(0);
    expect(await store.read((tx) => tx.meta.get("k"))).toBe("waited");
    if (tried === undefined) break;
  }
  expect(tried).toBeUndefined();
  await store.close();
}, 30_000);
