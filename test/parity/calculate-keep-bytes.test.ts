/**
 * Replays BuildKit's TestCalculateKeepBytes through prune's space targets: how much the
 * cache may keep under --max-used-space, --min-free-space and --reserved-space, and that a
 * target already met removes nothing (not "no target, remove everything"). Records go least
 * recently and least frequently used first; the fixture keeps them clearly apart.
 *
 * strata differs: BuildKit's function is pure and its table uses a made-up disk; here the
 * rows that do not depend on the live filesystem's free space are replayed on real records
 * (max-used, reserved, a met min-free, an unmeetable min-free with a floor). BuildKit stops
 * after the removal that brings the total to or below max(max-used, reserved), so it may go
 * below reserved-space; SPEC §3.13 makes reserved-space a floor pruning never goes below,
 * which is asserted. The records carry no blobs, so whether targets count content does not
 * arise; the metadata database is not counted (SPEC silent; du's records are the cache).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { byId, cleanup, du, type Fresh, fresh, layer, ok, prune } from "./helpers.ts";

let t: Fresh;
let order: string[];
let size: Map<string, number>;
let total: number;
beforeAll(() => {
  t = fresh();
  const root = t.root;
  // r0..r3, ~100 kB each. r0 used once; r1 once more, later; r2 and r3 three more times
  // each, later still: r0 < r1 < r2 < r3 by recency and by frequency alike.
  order = [0, 1, 2, 3].map((i) => {
    const m = ok(root, "new");
    writeFileSync(`${m.path}/data`, randomBytes(100_000 + i * 4096));
    return ok(root, "commit", m.id).id as string;
  });
  const use = (id: string) => ok(root, "path", id);
  use(order[1]!);
  for (let k = 0; k < 3; k++) for (const id of order.slice(2)) use(id);
  const listed = byId(root);
  const counts = order.map((id) => listed.get(id)!.usageCount as number);
  expect(counts[0]).toBeLessThan(counts[1]!);
  expect(counts[1]).toBeLessThan(counts[2]!);
  size = new Map(order.map((id) => [id, listed.get(id)!.size]));
  total = [...size.values()].reduce((a, b) => a + b, 0);
});
afterAll(() => cleanup(t.dir));

const s = (k: number) => size.get(order[k]!)!;
const wouldGo = (...args: string[]) => prune(t.root, "--dry-run", ...args).records.map((r) => r.id);

test("TestCalculateKeepBytes: a cache under --max-used-space (bytes or a percentage of the filesystem) loses nothing", () => {
  expect(wouldGo()).toHaveLength(4);
  expect(wouldGo("--max-used-space", `${total + 1}`)).toEqual([]);
  expect(wouldGo("--max-used-space", `${total}`)).toEqual([]);
  expect(wouldGo("--max-used-space", "100%")).toEqual([]);
});

test("TestCalculateKeepBytes: --max-used-space removes the least used first, until the total is under it, and no more", () => {
  const target = total - s(0) - Math.floor(s(1) / 2);
  expect(wouldGo("--max-used-space", `${target}`)).toEqual([order[0], order[1]]);
  expect(wouldGo("--max-used-space", `${total - 1}`)).toEqual([order[0]]);
});

test("TestCalculateKeepBytes: a met --min-free-space removes nothing", () => {
  expect(wouldGo("--min-free-space", "1MB")).toEqual([]);
  expect(wouldGo("--min-free-space", "1")).toEqual([]);
});

test("TestCalculateKeepBytes: --reserved-space is a floor: with a lower --max-used-space, an unmeetable --min-free-space, or alone", () => {
  const floor = total - s(0) - Math.floor(s(1) / 2);
  // Removing r1 too would go below the floor (BuildKit would remove it).
  expect(wouldGo("--max-used-space", "1", "--reserved-space", `${floor}`)).toEqual([order[0]]);
  expect(wouldGo("--min-free-space", "100%", "--reserved-space", `${floor}`)).toEqual([order[0]]);
  const lower = total - s(0) - s(1) - Math.floor(s(2) / 2);
  expect(wouldGo("--reserved-space", `${lower}`)).toEqual([order[0], order[1]]);
  expect(wouldGo("--reserved-space", `${total}`)).toEqual([]);
});

test("TestCalculateKeepBytes: a real prune to a target removes what the dry run named, and frees their bytes", () => {
  const target = total - s(0) - Math.floor(s(1) / 2);
  const out = prune(t.root, "--max-used-space", `${target}`);
  expect(out.records.map((r) => r.id)).toEqual([order[0], order[1]]);
  expect(out.summary.bytes).toBe(s(0) + s(1));
  const left = du(t.root).records;
  expect(left.map((r) => r.id).sort()).toEqual(order.slice(2).sort());
  expect(left.reduce((n, r) => n + r.size, 0)).toBeLessThanOrEqual(target);
});

test("TestCalculateKeepBytes: --keep-duration keeps a never-used record made within it (better: BuildKit ignores createdAt)", () => {
  const root = `${t.dir}/keep-duration`;
  const l = layer(t.dir, "never-used", { foo: "bar" });
  const r = ok(root, "import", l.gz);
  expect(r).toMatchObject({ usageCount: 0, lastUsedAt: null });
  expect(prune(root, "--dry-run", "--keep-duration", "1h").records).toEqual([]);
  expect(prune(root, "--dry-run").records.map((x) => x.id)).toEqual([r.id]);
});
