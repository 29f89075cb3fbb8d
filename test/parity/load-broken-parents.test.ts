/**
 * Replays BuildKit's TestLoadBrokenParents: one input of a merge is lost (BuildKit: marked
 * deleted in its metadata, as an interrupted prune leaves it); at the next start the lost
 * record and the merge that cannot load without it are gone, the other input survives,
 * and no hold on it leaked from the failed load.
 *
 * strata differs: prune never removes a parent while a child exists, so BuildKit's trigger
 * cannot arise; the loss is replayed as damage from outside (the input's directory removed),
 * and the outcome follows SPEC §3.14 (no record pointing at missing data). A merge that was
 * materialized before the damage has its own files and may survive, without the lost input
 * among its parents. Inputs hold a file each, since strata refuses an all-empty merge.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { byId, cleanup, du, fails, type Fresh, fresh, ok, pruned } from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

/** A and B (one file each, committed, unheld), their merge, and B's directory. */
function merged(root: string) {
  const made = ["a", "b"].map((name) => {
    const m = ok(root, "new");
    writeFileSync(`${m.path}/${name}`, name);
    return { id: ok(root, "commit", m.id).id as string, path: m.path as string };
  });
  const [a, b] = made as [(typeof made)[0], (typeof made)[0]];
  const m = ok(root, "merge", a.id, b.id);
  expect(du(root).records).toHaveLength(3);
  return { a, b, m };
}

test("TestLoadBrokenParents: a record whose data vanished goes at start-up with the unmaterialized merge on it; its other input survives unheld", () => {
  const root = `${t.dir}/lazy-merge`;
  const { a, b, m } = merged(root);
  // Commit does not move data (SPEC §3.5): this is B's directory.
  rmSync(b.path, { recursive: true });

  const listed = byId(root);
  expect(listed.get(a.id)).toMatchObject({ inUse: false });
  fails(root, 3, "info", b.id);
  // Its tree would need B's files, which are gone: it points at missing data.
  fails(root, 3, "info", m.id);
  expect([...listed.keys()]).toEqual([a.id]);
  expect(ok(root, "check").problems).toEqual([]);
  // Nothing holds A: it goes.
  expect(pruned(root, "--all")).toEqual([a.id]);
  expect(du(root).records).toEqual([]);
});

test("TestLoadBrokenParents: a merge materialized before its input vanished keeps its files and no longer names that input", () => {
  const root = `${t.dir}/materialized-merge`;
  const { a, b, m } = merged(root);
  const before = ok(root, "path", m.id).path;
  rmSync(b.path, { recursive: true });

  fails(root, 3, "info", b.id);
  const listed = byId(root);
  expect(listed.get(a.id)).toMatchObject({ inUse: false });
  if (listed.has(m.id)) {
    expect(listed.get(m.id)!.parents).not.toContain(b.id);
    expect(readdirSync(ok(root, "path", m.id).path).sort()).toEqual(["a", "b"]);
    expect(ok(root, "path", m.id).path).toBe(before);
  }
  expect(ok(root, "check").problems).toEqual([]);
  expect(pruned(root, "--all")).toEqual(listed.has(m.id) ? [m.id, a.id] : [a.id]);
  expect(du(root).records).toEqual([]);
});
