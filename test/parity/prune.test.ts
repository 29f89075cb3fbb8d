/**
 * Replays BuildKit's TestPrune: prune leaves held records and the parents of held records;
 * a released retained child goes as one result with its mutable twin; and one prune call
 * removes a child and then the parent it freed.
 *
 * The cascade is asserted in one call (SPEC §3.12): the child streams out before its parent.
 * BuildKit's held refs from Commit are `commit --hold` holds here.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { cleanup, type Fresh, du, duCounts, fresh, ok, prune, snapshotDirs } from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

test("TestPrune: held records and their parents stay; a child and the parent it frees go in one call", () => {
  const { root } = t;
  const a = ok(root, "new");
  writeFileSync(`${a.path}/a`, "a");
  const ia = ok(root, "commit", a.id, "--hold", "1h");
  const b = ok(root, "new", "--parent", ia.id, "--retain");
  writeFileSync(`${b.path}/b`, "b");
  const ib = ok(root, "commit", b.id, "--hold", "1h");
  expect(ib.parents).toEqual([ia.id]);
  expect(duCounts(root)).toEqual([2, 0]);
  expect(snapshotDirs(root)).toBe(2);

  const none = prune(root);
  expect(none).toEqual({ records: [], summary: { records: 0, bytes: 0 } });
  expect(duCounts(root)).toEqual([2, 0]);
  expect(snapshotDirs(root)).toBe(2);

  expect(ok(root, "release", ib.id)).toEqual({ id: ib.id, deleted: false });
  expect(duCounts(root)).toEqual([1, 1]);
  // The pair ib/b is one result, and nothing of the retained mutable twin stays.
  const one = prune(root);
  expect(one.records.map((r) => r.id)).toEqual([ib.id]);
  expect(one.summary.bytes).toBeGreaterThan(0);
  expect(duCounts(root)).toEqual([1, 0]);
  expect(snapshotDirs(root)).toBe(1);
  expect(existsSync(b.path)).toBe(false);

  ok(root, "release", ia.id);
  const c = ok(root, "new", "--parent", ia.id, "--retain");
  writeFileSync(`${c.path}/c`, "c");
  const ic = ok(root, "commit", c.id, "--hold", "1h");
  expect(duCounts(root)).toEqual([2, 0]);
  expect(prune(root).records).toEqual([]);
  expect(duCounts(root)).toEqual([2, 0]);

  ok(root, "release", ic.id);
  expect(duCounts(root)).toEqual([0, 2]);
  const two = prune(root);
  expect(two.records.map((r) => r.id)).toEqual([ic.id, ia.id]);
  expect(du(root).records).toEqual([]);
  expect(snapshotDirs(root)).toBe(0);
});
