/** The status tables (core/status.ts, store/status.ts): bounded, collapsed where idle, counted where keys are looked up. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Service } from "../../src/api/service.ts";
import { hitRate, type NewRun, policyLimits, runOptions, type StatusStore, type UsageSample } from "../../src/core/status.ts";
import { cleanup, cli, fakeClock, open, tempDir } from "../helpers/env.ts";

let root: string;
let svc: Service;
let status: StatusStore;
let clock: ReturnType<typeof fakeClock>;
beforeEach(async () => {
  root = tempDir();
  clock = fakeClock();
  svc = await open(root, { clock });
  status = svc.status()!;
});
afterEach(async () => {
  await svc.close();
  cleanup(root);
});

const sample = (at: number): UsageSample => ({
  at, records: 1, used: at, reclaimable: 0, metadata: 0, content: 0, fsSize: 100, fsFree: 50,
});
const gcRun = (policy: number, records: number, at: number): NewRun => ({
  trigger: "gc", policy, options: { keepDuration: "48h" }, startedAt: at, finishedAt: at + 1, records, bytes: records * 10, error: null,
});

describe("usage samples", () => {
  test("keep the newest N, oldest first", async () => {
    for (let i = 1; i <= 12; i++) await status.addSample(sample(i), 5);
    expect((await status.samples()).map((s) => s.at)).toEqual([8, 9, 10, 11, 12]);
    expect((await status.samples(2)).map((s) => s.at)).toEqual([11, 12]);
    expect(await status.samples(1)).toEqual([sample(12)]);
  });
});

describe("prune and GC history", () => {
  test("runs come newest first with their options; the list is bounded", async () => {
    for (let i = 1; i <= 7; i++) {
      await status.addRun({ trigger: "prune", policy: null, options: { filter: [`id~=${i}`] }, startedAt: i, finishedAt: i, records: i, bytes: i, error: null }, 4);
    }
    const runs = await status.runs();
    expect(runs.map((r) => r.records)).toEqual([7, 6, 5, 4]);
    expect(runs[0]).toMatchObject({ trigger: "prune", policy: null, options: { filter: ["id~=7"] }, runs: 1, error: null });
  });

  test("idle GC runs of one policy share a row; a run that frees something starts a new one", async () => {
    await status.addRun(gcRun(0, 0, 100));
    await status.addRun(gcRun(1, 0, 100));
    await status.addRun(gcRun(0, 0, 200));
    await status.addRun(gcRun(0, 0, 300));
    let runs = await status.runs();
    expect(runs.map((r) => [r.policy, r.runs, r.startedAt, r.finishedAt])).toEqual([[1, 1, 100, 101], [0, 3, 100, 301]]);
    await status.addRun(gcRun(0, 2, 400));
    await status.addRun(gcRun(0, 0, 500));
    runs = await status.runs();
    expect(runs.map((r) => [r.policy, r.records, r.runs])).toEqual([[0, 0, 1], [0, 2, 1], [1, 0, 1], [0, 0, 3]]);
    // A failed run is never folded into an idle one.
    await status.addRun({ ...gcRun(0, 0, 600), error: "boom" });
    expect((await status.runs())[0]).toMatchObject({ error: "boom", runs: 1 });
  });
});

describe("key lookups", () => {
  test("key get counts exact hits, prefix restores and misses, with the newest lookups", async () => {
    const r = await svc.commit({ id: (await svc.create({})).id });
    await svc.keySet({ name: "deps-abc", ref: r.id });
    await svc.keyGet({ name: "deps-abc" });
    await svc.keyGet({ name: "deps-xyz", restorePrefix: ["deps-"] });
    await expect(svc.keyGet({ name: "nope" })).rejects.toMatchObject({ code: "key_not_found" });
    await expect(svc.keyGet({ name: "nope", restorePrefix: ["none-"] })).rejects.toMatchObject({ code: "key_not_found" });
    expect(await status.lookupCounts()).toEqual({ exact: 1, prefix: 1, miss: 2 });
    expect(await status.lookups(3)).toEqual([
      { at: clock.now(), name: "nope", outcome: "miss", matched: null },
      { at: clock.now(), name: "nope", outcome: "miss", matched: null },
      { at: clock.now(), name: "deps-xyz", outcome: "prefix", matched: "deps-abc" },
    ]);
    expect(hitRate(await status.lookupCounts())).toEqual({ lookups: 4, exact: 0.25, restored: 0.5 });
  });

  test("the CLI counts too when it opens the root itself", async () => {
    await svc.close();
    expect(cli(root, "key", "get", "absent").code).toBe(7);
    svc = await open(root, { clock });
    status = svc.status()!;
    expect(await status.lookupCounts()).toEqual({ exact: 0, prefix: 0, miss: 1 });
  });

  test("totals outlive the bounded list", async () => {
    for (let i = 0; i < 6; i++) await status.countLookup({ at: i, name: `k${i}`, outcome: "miss", matched: null }, 3);
    expect((await status.lookups()).map((l) => l.name)).toEqual(["k5", "k4", "k3"]);
    expect((await status.lookupCounts()).miss).toBe(6);
  });
});

describe("the marker", () => {
  test("moves with this process's status writes and with other processes' commits", async () => {
    const m0 = await status.marker();
    await status.addSample(sample(1));
    const m1 = await status.marker();
    expect(m1).not.toBe(m0);
    expect(await status.marker()).toBe(m1);
    expect(cli(root, "new").code).toBe(0);
    expect(await status.marker()).not.toBe(m1);
  });
});

describe("pure sums", () => {
  test("hit rate is null before any lookup", () => {
    expect(hitRate({ exact: 0, prefix: 0, miss: 0 })).toEqual({ lookups: 0, exact: null, restored: null });
  });

  test("policies resolve to bytes on this filesystem and say where usage stands", () => {
    const fs = { used: 600, fsSize: 1000, fsFree: 150 };
    const [a, b] = policyLimits([
      { filter: ["type==exec.cachemount"], keepDuration: "48h", maxUsedSpace: "512B" },
      { all: true, reservedSpace: "10%", maxUsedSpace: "60%", minFreeSpace: "20%" },
    ], fs);
    expect(a).toEqual({
      index: 0, all: false, filter: ["type==exec.cachemount"], keepDurationMs: 48 * 3600e3,
      maxUsedSpace: 512, reservedSpace: null, minFreeSpace: null, overMaxUsed: true, belowMinFree: null, overReserved: null,
    });
    expect(b).toMatchObject({ all: true, reservedSpace: 100, maxUsedSpace: 600, minFreeSpace: 200, overMaxUsed: false, belowMinFree: true, overReserved: true });
  });

  test("run options keep the prune's policy fields only", () => {
    expect(runOptions({ all: true, filter: ["inuse==false"], keepDuration: "1h", dryRun: false, verbose: true, extra: 1 }))
      .toEqual({ all: true, filter: ["inuse==false"], keepDuration: "1h" });
    expect(runOptions(undefined)).toEqual({});
  });
});
