/**
 * A write lock another process keeps past SQLite's busy timeout (a stopped or stuck
 * process) is exit 4, *locked*, with one line saying so; the store is unchanged.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { cleanup, cli, ok, tempDir } from "../helpers/env.ts";

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
