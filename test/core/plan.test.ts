/** The prune planner on plain graphs: order, keeping, and space targets. */
import { describe, expect, test } from "bun:test";
import { parseFilters } from "../../src/core/filter.ts";
import { plan } from "../../src/core/plan.ts";
import type { Record } from "../../src/core/record.ts";

const now = Date.parse("2026-11-29T12:00:00Z");
const hour = 3600_000;
const rec = (id: string, over: Partial<Record> = {}): Record => ({
  id, kind: "base", mutable: false, inUse: false, size: 100,
  createdAt: new Date(now - 48 * hour).toISOString(), lastUsedAt: null, usageCount: 0, parents: [],
  description: "", recordType: "regular", shared: false, lazy: false, cachePolicy: "default",
  blob: null, chainID: null, blobChainID: null, ...over,
});
const usedAt = (hoursAgo: number, count = 1) => ({
  lastUsedAt: new Date(now - hoursAgo * hour).toISOString(), usageCount: count,
});

test("children go before their parents", () => {
  expect(plan([rec("a"), rec("b", { parents: ["a"] }), rec("c", { parents: ["b"] })], {}, now)).toEqual(["c", "b", "a"]);
});

test("a held child keeps its ancestors, not its siblings", () => {
  const order = plan([rec("a"), rec("b", { parents: ["a"], inUse: true }), rec("c", { parents: ["a"] }), rec("d")], {}, now);
  expect(order.sort()).toEqual(["c", "d"]);
});

test("without all, internal, frontend and shared records stay", () => {
  const rs = [rec("i", { recordType: "internal" }), rec("f", { recordType: "frontend" }), rec("s", { shared: true }), rec("r")];
  expect(plan(rs, {}, now)).toEqual(["r"]);
  expect(plan(rs, { all: true }, now).sort()).toEqual(["f", "i", "r", "s"]);
});

test("keep-duration keeps recently used records and recently created never-used ones", () => {
  const rs = [
    rec("old-used", usedAt(30)),
    rec("new-used", usedAt(1)),
    rec("new-never", { createdAt: new Date(now - hour).toISOString() }),
    rec("old-never"),
  ];
  expect(plan(rs, { keepDurationMs: 24 * hour }, now).sort()).toEqual(["old-never", "old-used"]);
});

test("a filter limits what goes; a filtered-out child keeps its parent", () => {
  const rs = [rec("p", { description: "go" }), rec("c", { parents: ["p"], description: "npm" })];
  expect(plan(rs, { filter: parseFilters(["description==go"]) }, now)).toEqual([]);
  expect(plan(rs, { filter: parseFilters(["description==npm"]) }, now)).toEqual(["c"]);
});

describe("space targets", () => {
  const rs = [
    rec("never"),
    rec("used-long-ago", usedAt(40, 5)),
    rec("used-recently", usedAt(1, 1)),
    rec("used-often", usedAt(40, 50)),
  ];
  test("never-used first, then least recently, then least often used", () => {
    expect(plan(rs, { maxUsedSpace: 0 }, now, { used: 400, free: 0 })).toEqual([
      "never", "used-long-ago", "used-often", "used-recently",
    ]);
  });
  test("max-used-space stops once usage is under the cap", () => {
    expect(plan(rs, { maxUsedSpace: 250 }, now, { used: 400, free: 0 })).toEqual(["never", "used-long-ago"]);
    expect(plan(rs, { maxUsedSpace: 400 }, now, { used: 400, free: 0 })).toEqual([]);
  });
  test("a record used again last survives a cap", () => {
    const order = plan(rs, { maxUsedSpace: 100 }, now, { used: 400, free: 0 });
    expect(order).not.toContain("used-recently");
  });
  test("min-free-space frees until enough is free", () => {
    expect(plan(rs, { minFreeSpace: 1150 }, now, { used: 400, free: 1000 })).toEqual(["never", "used-long-ago"]);
  });
  test("reserved-space is a floor pruning never goes below", () => {
    expect(plan(rs, { maxUsedSpace: 0, reservedSpace: 200 }, now, { used: 400, free: 0 })).toEqual(["never", "used-long-ago"]);
    expect(plan(rs, { reservedSpace: 300 }, now, { used: 400, free: 0 })).toEqual(["never"]);
  });
  test("removing a child frees its parent in the same plan", () => {
    const chain = [rec("p", usedAt(50)), rec("c", { parents: ["p"], ...usedAt(10) }), rec("x", usedAt(20))];
    expect(plan(chain, { maxUsedSpace: 100 }, now, { used: 300, free: 0 })).toEqual(["x", "c"]);
    expect(plan(chain, { maxUsedSpace: 0 }, now, { used: 300, free: 0 })).toEqual(["x", "c", "p"]);
  });
});
