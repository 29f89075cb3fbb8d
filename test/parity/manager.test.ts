/**
 * Replays BuildKit's TestManager (cache/manager_test.go): a retained mutable record through
 * commit, reopen (GetMutable), finalize, a child, and prune, with du's in-use counts at
 * every step and an empty snapshot area at the end.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, statSync, writeFileSync } from "node:fs";
import {
  cleanup, type Fresh, du, duCounts, fails, fresh, hold, layer, ok, prune, snapshotDirs, unhold, unknownID,
} from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

test("TestManager: du of an empty store lists nothing (better: its totals count the metadata database and the content store)", () => {
  const root = `${t.dir}/empty`;
  const empty = du(root);
  expect(empty.records).toEqual([]);
  expect(empty.totals.metadata).toBeGreaterThan(0);
  expect(empty.totals.content).toBe(0);
  const l = layer(t.dir, "content", { foo: "bar" });
  ok(root, "import", l.gz, "--lazy");
  expect(du(root).totals.content).toBeGreaterThanOrEqual(statSync(l.gz).size);
});

test("TestManager: records move through commit, reopen, finalize and prune with BuildKit's du counts", () => {
  const root = t.root;
  // BuildKit: Get("foobar") fails. strata: a well-formed unknown ID is not found (3); a
  // malformed one is a usage error (2), as the SPEC defines a REF as an ID or key:NAME.
  fails(root, 3, "info", unknownID);
  fails(root, 2, "info", "foobar");
  expect(du(root).records).toEqual([]);

  const m = ok(root, "new", "--retain");
  expect(m).toMatchObject({ mutable: true, parents: [] });
  expect(statSync(m.path).isDirectory()).toBe(true);
  writeFileSync(`${m.path}/f`, "x");
  // GetMutable of a held mutable: locked.
  fails(root, 4, "reopen", m.id);
  expect(du(root).records).toMatchObject([{ id: m.id, mutable: true, inUse: true }]);

  const i = ok(root, "commit", m.id, "--hold", "1h");
  expect(i).toMatchObject({ mutable: false, kind: "base", inUse: true });
  // The twin pair is one record in du. (BuildKit lists an unheld pair under the mutable's
  // ID, strata under the immutable's: counts are compared here, not IDs.)
  expect(duCounts(root)).toEqual([1, 0]);
  // GetMutable while the committed twin is held: locked.
  fails(root, 4, "reopen", m.id);
  expect(ok(root, "release", i.id)).toEqual({ id: i.id, deleted: false });
  expect(duCounts(root)).toEqual([0, 1]);

  // GetMutable of the unheld, unfinalized pair: the mutable again, its twin gone.
  expect(ok(root, "reopen", m.id)).toMatchObject({ id: m.id, mutable: true });
  fails(root, 3, "info", i.id);
  expect(duCounts(root)).toEqual([1, 0]);

  const i2 = ok(root, "commit", m.id, "--hold", "1h");
  expect(i2.id).not.toBe(i.id);
  expect(duCounts(root)).toEqual([1, 0]);
  // Finalize: strata has no Finalize command; becoming a parent finalizes (SPEC §3.2).
  const c = ok(root, "new", "--parent", i2.id);
  expect(ok(root, "release", c.id)).toEqual({ id: c.id, deleted: true });
  expect(ok(root, "release", i2.id)).toEqual({ id: i2.id, deleted: false });
  // The mutable was retired by finalize: not found; GetMutable of an immutable: invalid.
  fails(root, 3, "reopen", m.id);
  fails(root, 5, "reopen", i2.id);

  // Two gets of the committed record: a path hold and a lease.
  const p = ok(root, "path", i2.id, "--hold", "1h");
  expect(statSync(p.path).isDirectory()).toBe(true);
  const l1 = hold(root, i2.id);
  expect(duCounts(root)).toEqual([1, 0]);
  ok(root, "release", i2.id); // the first get ends, the lease stays
  const m2 = ok(root, "new", "--parent", i2.id, "--retain");
  expect(duCounts(root)).toEqual([2, 0]);
  const i3 = ok(root, "commit", m2.id, "--hold", "1h");
  unhold(root, l1);
  // The parent is in use through its held child.
  expect(duCounts(root)).toEqual([2, 0]);
  ok(root, "release", i3.id);
  expect(duCounts(root)).toEqual([0, 2]);

  // One prune call: the twin pair i3/m2 as one result, then the parent it freed.
  const out = prune(root);
  expect(out.records.map((r) => r.id)).toEqual([i3.id, i2.id]);
  expect(du(root).records).toEqual([]);
  expect(snapshotDirs(root)).toBe(0);
  expect(existsSync(m2.path)).toBe(false);
});
