/** du and prune policies through the service on a real root (SPEC §3.11–13). */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import type { Service } from "../src/api/service.ts";
import { cleanup, fakeClock, open, tempDir } from "./helpers/env.ts";

const hour = 3600_000;
let root: string;
let svc: Service;
let clock: ReturnType<typeof fakeClock>;
beforeEach(async () => {
  root = tempDir();
  clock = fakeClock();
  svc = await open(root, { clock });
});
afterEach(async () => {
  await svc.close();
  cleanup(root);
});

/** A committed record of about `kb` kilobytes. */
async function committed(kb: number, opts: { parent?: string; description?: string; type?: "internal" | "frontend" } = {}) {
  const m = await svc.create({ parent: opts.parent, description: opts.description, type: opts.type });
  writeFileSync(`${m.path}/data-${m.id}`, Buffer.alloc(kb * 1024, 7));
  return svc.commit({ id: m.id });
}

async function pruned(input: Parameters<Service["prune"]>[0]) {
  const out: string[] = [];
  for await (const r of svc.prune(input)) if ("id" in r) out.push(r.id);
  return out;
}

describe("du", () => {
  test("filters pick records, and totals follow the filter", async () => {
    const a = await committed(8, { description: "go mod" });
    const b = await committed(8, { description: "npm", type: "internal" });
    const held = await svc.create({});
    const ids = async (filter: string[]) => (await svc.du({ filter })).records.map((r) => r.id).sort();
    expect(await ids(["description~=^go"])).toEqual([a.id]);
    expect(await ids(["type==internal"])).toEqual([b.id]);
    expect(await ids(["inuse"])).toEqual([held.id]);
    expect(await ids(["mutable"])).toEqual([held.id]);
    expect(await ids(["immutable"])).toEqual([a.id, b.id].sort());
    expect(await ids(["description==go mod", "type==internal"])).toEqual([a.id, b.id].sort());
    expect(await ids([`id==${a.id}`])).toEqual([a.id]);
    const du = await svc.du({ filter: ["description~=^go"] });
    expect(du.totals.total).toBe(du.records[0]!.size);
  });

  test("inUse is propagated from a held child to its ancestors", async () => {
    const a = await committed(4);
    const b = await committed(4, { parent: a.id });
    const c = await svc.create({ parent: b.id });
    const du = await svc.du({});
    const used = Object.fromEntries(du.records.map((r) => [r.id, r.inUse]));
    expect(used).toEqual({ [a.id]: true, [b.id]: true, [c.id]: true });
    expect((await svc.du({ filter: [`parents==${a.id}`] })).records.map((r) => r.id)).toEqual([b.id]);
  });
});

describe("prune", () => {
  test("each filter key works in prune as in du", async () => {
    const a = await committed(4, { description: "keep" });
    const b = await committed(4, { description: "drop" });
    expect(await pruned({ filter: ["description==drop"] })).toEqual([b.id]);
    const c = await committed(4, { parent: a.id });
    expect(await pruned({ filter: [`parents==${a.id}`] })).toEqual([c.id]);
    expect(await pruned({ filter: ["inuse==true"] })).toEqual([]);
    expect(await pruned({ filter: ["immutable"] })).toEqual([a.id]);
  });

  test("a record used again last survives a cap; never-used records go first", async () => {
    const never = await committed(40);
    const old = await committed(40);
    const recent = await committed(40);
    clock.advance(hour);
    await svc.path({ ref: old.id });
    clock.advance(hour);
    await svc.path({ ref: recent.id });
    // Usage counts from commit are 1 for all; `never` was used only at commit, long ago.
    const total = (await svc.du({})).totals.total;
    const each = total / 3;
    expect(await pruned({ maxUsedSpace: String(Math.floor(total - each / 2)) })).toEqual([never.id]);
    expect(await pruned({ maxUsedSpace: String(Math.floor(each * 1.5)) })).toEqual([old.id]);
    expect((await svc.du({})).records.map((r) => r.id)).toEqual([recent.id]);
  });

  test("keep-duration keeps what was used, or created if never used, within it", async () => {
    const m = await svc.create({ retain: true });
    await svc.release({ id: m.id }); // used once now
    const old = await committed(4);
    clock.advance(10 * hour);
    const fresh = await committed(4);
    expect((await pruned({ keepDuration: 5 * hour })).sort()).toEqual([m.id, old.id].sort());
    expect((await svc.du({})).records.map((r) => r.id)).toEqual([fresh.id]);
  });

  test("held children keep their parents; removing a child frees its parent in the same call", async () => {
    const a = await committed(4);
    const b = await committed(4, { parent: a.id });
    const held = await svc.create({ parent: b.id });
    expect(await pruned({ all: true })).toEqual([]);
    await svc.release({ id: held.id });
    expect(await pruned({ all: true })).toEqual([b.id, a.id]);
  });

  test("--all also takes internal and frontend records", async () => {
    const i = await committed(4, { type: "internal" });
    const f = await committed(4, { type: "frontend" });
    expect(await pruned({})).toEqual([]);
    expect((await pruned({ all: true })).sort()).toEqual([i.id, f.id].sort());
  });

  test("reserved-space is a floor, and percentages read the filesystem", async () => {
    await committed(40);
    await committed(40);
    const total = (await svc.du({})).totals.total;
    expect(await pruned({ reservedSpace: String(total) })).toEqual([]);
    expect(await pruned({ maxUsedSpace: "0", reservedSpace: String(total - 1) })).toEqual([]);
    expect(await pruned({ maxUsedSpace: "100%" })).toEqual([]);
    expect((await pruned({ maxUsedSpace: "0%" })).length).toBe(2);
  });

  test("dry-run lists what would go and removes nothing", async () => {
    const a = await committed(4);
    expect(await pruned({ dryRun: true, all: true })).toEqual([a.id]);
    expect((await svc.du({})).records).toHaveLength(1);
  });

  test("bad filters and sizes are usage errors before anything is removed", async () => {
    await committed(4);
    await expect(pruned({ filter: ["colour==red"] })).rejects.toMatchObject({ code: "usage" });
    expect((await svc.du({})).records).toHaveLength(1);
  });
});
