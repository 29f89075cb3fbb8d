/**
 * Replays BuildKit's TestSnapshotExtract: a lazy layer on a lazy parent extracts nothing;
 * extracting the child extracts the parent too; then holds come and go and prune removes
 * the child (with its blob) before the parent (with its own).
 *
 * strata differs: BuildKit's Get refs are leases here (import hands back unheld records).
 * A lazy record's size: BuildKit reports its blob's size; the SPEC is silent, strata reports
 * 0 and counts the blob in du's totals.content (SPEC §3.11), which is what is asserted.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import {
  blobs, byId, cleanup, diskUsage, type Fresh, du, duCounts, fresh, hold, layer, ok, prune, snapshotDirs, unhold,
} from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

test("TestSnapshotExtract: extracting a lazy child extracts its lazy parent; prune takes the child and its blob, then the parent", () => {
  const { root, dir } = t;
  const b = layer(dir, "b", { foo: "bar" });
  const b2 = layer(dir, "b2", { foo: "bar123" });
  const s1 = ok(root, "import", b.gz, "--lazy");
  expect(s1).toMatchObject({ lazy: true, kind: "base", size: 0 });
  const s2 = ok(root, "import", b2.gz, "--parent", s1.id, "--lazy");
  expect(s2).toMatchObject({ lazy: true, kind: "layer", parents: [s1.id], size: 0 });
  // Importing on a lazy parent extracted nothing.
  expect(ok(root, "info", s1.id).lazy).toBe(true);
  expect(snapshotDirs(root)).toBe(0);
  expect(blobs(root)).toHaveLength(2);
  const gz2 = statSync(b2.gz).size;
  expect(du(root).totals.content).toBeGreaterThanOrEqual(statSync(b.gz).size + gz2);

  const l1 = hold(root, s1.id);
  const l2 = hold(root, s2.id);
  const p2 = ok(root, "path", s2.id).path;
  expect(readFileSync(`${p2}/foo`, "utf8")).toBe("bar123");
  let listed = byId(root);
  expect([listed.get(s1.id)!.lazy, listed.get(s2.id)!.lazy]).toEqual([false, false]);
  expect(snapshotDirs(root)).toBe(2);
  // The size measured now, not the one a lazy record had.
  const s2size = listed.get(s2.id)!.size;
  expect(s2size).toBe(diskUsage(p2));
  expect(s2size).toBeGreaterThan(0);

  expect(prune(root).records).toEqual([]);
  expect(duCounts(root)).toEqual([2, 0]);
  expect(snapshotDirs(root)).toBe(2);
  expect(blobs(root)).toHaveLength(2);

  unhold(root, l1);
  expect(prune(root).records).toEqual([]);
  expect(duCounts(root)).toEqual([2, 0]);
  const l3 = hold(root, s1.id);
  expect(duCounts(root)).toEqual([2, 0]);
  unhold(root, l2);
  expect(duCounts(root)).toEqual([1, 1]);

  const first = prune(root);
  expect(first.records.map((r) => r.id)).toEqual([s2.id]);
  expect(duCounts(root)).toEqual([1, 0]);
  expect(snapshotDirs(root)).toBe(1);
  // SPEC §8: the child's blob goes with it and counts in the bytes freed.
  expect(blobs(root)).toEqual([b.gzDigest.slice(7)]);
  expect(first.summary.bytes).toBeGreaterThanOrEqual(s2size + gz2);

  unhold(root, l3);
  expect(prune(root).records.map((r) => r.id)).toEqual([s1.id]);
  expect(du(root).records).toEqual([]);
  expect(snapshotDirs(root)).toBe(0);
  expect(blobs(root)).toEqual([]);
});
