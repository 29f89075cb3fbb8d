/**
 * Replays BuildKit's TestMergeOp: a merge of one input is that input; merges of three
 * bases hardlink their files and count only their own inodes; a merge of merges is
 * flattened to the six bases; inputs of a held merge are in use; prune --all takes all.
 *
 * strata differs: `merge` with no input is a usage error (BuildKit returns nothing, no
 * error). Each base holds one file, because strata drops empty inputs (SPEC §3.9) where
 * BuildKit keeps them. Sizes come from the filesystem, not BuildKit's ext4 block numbers.
 * Merge hands back an unheld record: BuildKit's held merge refs are leases here.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import {
  byId, cleanup, diskUsage, du, duCounts, fails, type Fresh, fresh, hold, ok, prune, snapshotDirs, unhold,
} from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

test("TestMergeOp: merges hardlink their inputs, count only their own inodes, flatten, and keep their inputs in use", () => {
  const { root } = t;
  fails(root, 2, "merge");

  const bases = [0, 1, 2, 3, 4, 5].map((i) => {
    const m = ok(root, "new");
    writeFileSync(`${m.path}/${i}`, `${i}`);
    chmodSync(`${m.path}/${i}`, 0o777);
    return { id: ok(root, "commit", m.id, "--hold", "1h").id as string, path: m.path as string };
  });
  const ids = bases.map((b) => b.id);
  const listed = byId(root);
  for (const b of bases) expect(listed.get(b.id)!.size).toBe(diskUsage(b.path));

  // A merge of one input is the input itself.
  expect(ok(root, "merge", ids[0]!).id).toBe(ids[0]);
  expect(readFileSync(`${ok(root, "path", ids[0]!).path}/0`, "utf8")).toBe("0");
  expect(prune(root, "--filter", `id==${ids[0]}`).records).toEqual([]);
  expect(ok(root, "info", ids[0]!).id).toBe(ids[0]);

  /** The merged directory holds exactly its inputs' files, as the same inodes. */
  const sameInodes = (path: string, from: typeof bases) => {
    expect(readdirSync(path).sort()).toEqual(from.map((b) => `${bases.indexOf(b)}`).sort());
    for (const b of from) {
      const name = `${bases.indexOf(b)}`;
      expect(statSync(`${path}/${name}`).ino).toBe(statSync(`${b.path}/${name}`).ino);
      expect(statSync(`${path}/${name}`).mode & 0o777).toBe(0o777);
    }
  };

  const m1 = ok(root, "merge", ...ids.slice(0, 3));
  expect(m1).toMatchObject({ kind: "merge", parents: ids.slice(0, 3), mutable: false });
  const l1 = hold(root, m1.id);
  const p1 = ok(root, "path", m1.id).path;
  sameInodes(p1, bases.slice(0, 3));
  // Only the merge's own inodes (its directory) count, not the hardlinked files.
  const m1size = ok(root, "info", m1.id).size;
  expect(m1size).toBe(statSync(p1).blocks * 512);
  expect(duCounts(root)).toEqual([7, 0]);

  const m2 = ok(root, "merge", ...ids.slice(3));
  const l2 = hold(root, m2.id);
  sameInodes(ok(root, "path", m2.id).path, bases.slice(3));
  expect(ok(root, "info", m2.id).size).toBe(m1size);
  expect(duCounts(root)).toEqual([8, 0]);

  for (const id of ids) ok(root, "release", id);
  expect(duCounts(root)).toEqual([8, 0]);

  const m3 = ok(root, "merge", m1.id, m2.id);
  expect(m3).toMatchObject({ kind: "merge", parents: ids });
  const l3 = hold(root, m3.id);
  unhold(root, l1);
  unhold(root, l2);
  const p3 = ok(root, "path", m3.id).path;
  sameInodes(p3, bases);
  expect(ok(root, "info", m3.id).size).toBe(m1size);
  expect(duCounts(root)).toEqual([7, 2]);

  unhold(root, l3);
  expect(duCounts(root)).toEqual([0, 9]);
  expect(prune(root, "--all").records).toHaveLength(9);
  expect(du(root).records).toEqual([]);
  expect(snapshotDirs(root)).toBe(0);
});
