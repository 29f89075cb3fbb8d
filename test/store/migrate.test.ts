/**
 * Migrations on open: processes that open a new root at once queue behind one write lock
 * and all find the whole schema; a store written by a newer strata is refused, untouched.
 */
import { Database } from "bun:sqlite";
import { afterEach, beforeEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { SCHEMA_VERSION } from "../../src/store/migrate.ts";
import { openSqlite } from "../../src/runtime/bun/sqlite.ts";
import { openStore } from "../../src/store/store.ts";
import { cleanup, cliCommand, tempDir } from "../helpers/env.ts";

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => cleanup(dir));

test("six processes opening a new root at once all succeed, and the schema is made once", async () => {
  const procs = Array.from({ length: 6 }, () =>
    Bun.spawn([...cliCommand(), "--root", `${dir}/root`, "--json", "du"], { stdout: "pipe", stderr: "pipe" }));
  const codes = await Promise.all(procs.map((p) => p.exited));
  const errors = await Promise.all(procs.map((p) => new Response(p.stderr).text()));
  expect({ codes, errors }).toEqual({ codes: [0, 0, 0, 0, 0, 0], errors: ["", "", "", "", "", ""] });
  const db = new Database(`${dir}/root/meta.db`, { readonly: true });
  try {
    expect(db.query("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
    expect(db.query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'records'").get()).toEqual({ n: 1 });
  } finally {
    db.close();
  }
});

test("a store written by a newer strata is refused with one line, and left as it was", async () => {
  const file = `${dir}/meta.db`;
  const newer = new Database(file);
  newer.run("PRAGMA journal_mode = WAL"); // as every strata makes it
  newer.run("CREATE TABLE future (x)");
  newer.run(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
  newer.close();
  const before = readFileSync(file);
  const err = await openStore(file, openSqlite, { now: () => Date.now() }).catch((e) => e);
  expect(err.message).toBe(`the store was written by a newer strata (schema ${SCHEMA_VERSION + 1}, this one knows ${SCHEMA_VERSION})`);
  expect(readFileSync(file)).toEqual(before);
});
