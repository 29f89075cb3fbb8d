/** SPEC §3 items 1–5 through the service API on a real root. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Service } from "../src/api/service.ts";
import { cleanup, open, tempDir } from "./helpers/env.ts";

let root: string;
let svc: Service;
beforeEach(async () => {
  root = tempDir();
  svc = await open(root);
});
afterEach(async () => {
  await svc.close();
  cleanup(root);
});

const err = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return "no error";
};

describe("new", () => {
  test("creates a held, writable, empty mutable record", async () => {
    const m = await svc.create({});
    expect(m.mutable).toBe(true);
    expect(m.parents).toEqual([]);
    writeFileSync(`${m.path}/file`, "data");
    const info = await svc.info({ ref: m.id });
    expect(info).toMatchObject({ id: m.id, kind: "base", mutable: true, inUse: true, cachePolicy: "default" });
    // Held: getting it is locked.
    expect(await err(svc.path({ ref: m.id }))).toBe("locked");
  });

  test("with a parent copies the parent's tree and keeps the parent in use", async () => {
    const a = await svc.create({});
    writeFileSync(`${a.path}/f`, "from a");
    const ca = await svc.commit({ id: a.id });
    const b = await svc.create({ parent: ca.id, description: "child" });
    expect(b.parents).toEqual([ca.id]);
    expect(readFileSync(`${b.path}/f`, "utf8")).toBe("from a");
    writeFileSync(`${b.path}/f`, "changed in b");
    const pa = await svc.path({ ref: ca.id });
    expect(readFileSync(`${pa.path}/f`, "utf8")).toBe("from a");
    expect((await svc.info({ ref: ca.id })).inUse).toBe(true);
    expect((await svc.info({ ref: b.id })).kind).toBe("layer");
  });

  test("a parent that does not exist is not found and leaves nothing behind", async () => {
    expect(await err(svc.create({ parent: "0".repeat(25) }))).toBe("not_found");
    expect((await svc.du({})).records).toEqual([]);
  });
});

describe("commit", () => {
  test("is cheap: the twin shares the directory, and the path does not move", async () => {
    const m = await svc.create({});
    writeFileSync(`${m.path}/f`, "x");
    const i = await svc.commit({ id: m.id });
    expect(i.mutable).toBe(false);
    expect(i.id).not.toBe(m.id);
    expect((await svc.path({ ref: i.id })).path).toBe(m.path);
    // The pair is listed once.
    expect((await svc.du({})).records.map((r) => r.id)).toEqual([i.id]);
  });

  test("of an immutable record is invalid", async () => {
    const m = await svc.create({});
    const i = await svc.commit({ id: m.id });
    expect(await err(svc.commit({ id: i.id }))).toBe("invalid");
  });

  test("counts one use and ends the mutable hold", async () => {
    const m = await svc.create({});
    const i = await svc.commit({ id: m.id });
    expect(i.usageCount).toBe(1);
    expect(i.inUse).toBe(false);
    expect(i.lastUsedAt).not.toBeNull();
  });

  test("--hold keeps the committed record in use until released", async () => {
    const m = await svc.create({});
    const i = await svc.commit({ id: m.id, hold: 3600_000 });
    expect(i.inUse).toBe(true);
    expect([...(await collect(svc.prune({ all: true })))]).toHaveLength(1); // only the summary
    await svc.release({ id: i.id });
    expect((await svc.info({ ref: i.id })).inUse).toBe(false);
  });
});

describe("get (path without --rw)", () => {
  test("of an unheld mutable record commits it implicitly", async () => {
    const r = await svc.create({ retain: true });
    await svc.release({ id: r.id });
    const p = await svc.path({ ref: r.id });
    expect(p.id).not.toBe(r.id);
    const info = await svc.info({ ref: p.id });
    expect(info.mutable).toBe(false);
    expect(p.path).toBe(`${root}/snapshots/${r.id}`);
  });

  test("of a held mutable record is locked", async () => {
    const m = await svc.create({});
    expect(await err(svc.path({ ref: m.id }))).toBe("locked");
    expect(await err(svc.create({ parent: m.id }))).toBe("locked");
  });

  test("counts a use each time an unheld record is handed out", async () => {
    const m = await svc.create({});
    const i = await svc.commit({ id: m.id });
    await svc.path({ ref: i.id });
    await svc.path({ ref: i.id });
    expect((await svc.info({ ref: i.id })).usageCount).toBe(3);
  });
});

describe("reopen", () => {
  test("of an unheld, unfinalized mutable record deletes its twin", async () => {
    const m = await svc.create({});
    writeFileSync(`${m.path}/f`, "1");
    const i = await svc.commit({ id: m.id });
    const r = await svc.reopen({ id: m.id });
    expect(r).toEqual({ id: m.id, path: m.path, mutable: true });
    expect(await err(svc.info({ ref: i.id }))).toBe("not_found");
    expect(readFileSync(`${m.path}/f`, "utf8")).toBe("1");
    expect((await svc.info({ ref: m.id })).inUse).toBe(true);
  });

  test("of an immutable record is invalid, of a held one locked", async () => {
    const m = await svc.create({});
    expect(await err(svc.reopen({ id: m.id }))).toBe("locked");
    const i = await svc.commit({ id: m.id });
    expect(await err(svc.reopen({ id: i.id }))).toBe("invalid");
  });

  test("after the twin became a parent, the mutable record is gone", async () => {
    const m = await svc.create({});
    const i = await svc.commit({ id: m.id });
    await svc.create({ parent: i.id });
    expect(await err(svc.reopen({ id: m.id }))).toBe("not_found");
    expect(existsSync(m.path)).toBe(true);
  });
});

describe("release", () => {
  test("deletes a default-policy mutable record and its directory", async () => {
    const m = await svc.create({});
    expect(await svc.release({ id: m.id })).toEqual({ id: m.id, deleted: true });
    expect(existsSync(m.path)).toBe(false);
    expect(await err(svc.info({ ref: m.id }))).toBe("not_found");
  });

  test("keeps a retained mutable record as reclaimable cache", async () => {
    const m = await svc.create({ retain: true });
    expect(await svc.release({ id: m.id })).toEqual({ id: m.id, deleted: false });
    const info = await svc.info({ ref: m.id });
    expect(info).toMatchObject({ inUse: false, cachePolicy: "retain", usageCount: 1 });
  });

  test("bumps usage once however many holds a record had", async () => {
    const m = await svc.create({});
    const i = await svc.commit({ id: m.id });
    await svc.path({ ref: i.id, hold: 60_000 });
    await svc.path({ ref: i.id, hold: 60_000 });
    const before = (await svc.info({ ref: i.id })).usageCount;
    await svc.release({ id: i.id });
    expect((await svc.info({ ref: i.id })).usageCount).toBe(before + 1);
  });

  test("of a committed mutable record leaves the shared directory alone", async () => {
    const m = await svc.create({});
    const i = await svc.commit({ id: m.id });
    expect((await svc.release({ id: m.id })).deleted).toBe(false);
    expect(existsSync((await svc.path({ ref: i.id })).path)).toBe(true);
  });
});

describe("holds by expiry", () => {
  test("an expired hold no longer counts", async () => {
    // The service's clock, moved by hand: a busy machine cannot make the hold expire early.
    let now = Date.now();
    await svc.close();
    svc = await open(root, { clock: { now: () => now } });
    const m = await svc.create({ hold: 1000 });
    now += 999;
    expect((await svc.info({ ref: m.id })).inUse).toBe(true);
    now += 2;
    expect((await svc.info({ ref: m.id })).inUse).toBe(false);
    // Nobody holds it: getting it commits it.
    const p = await svc.path({ ref: m.id });
    expect(p.id).not.toBe(m.id);
  });
});

describe("prune --all and du", () => {
  test("removes children before parents and never what is held", async () => {
    const a = await svc.create({});
    const ia = await svc.commit({ id: a.id });
    const b = await svc.create({ parent: ia.id });
    const ib = await svc.commit({ id: b.id });
    const held = await svc.create({});
    const out = await collect(svc.prune({ all: true }));
    const ids = out.filter((r) => "id" in r).map((r) => (r as { id: string }).id);
    expect(ids).toEqual([ib.id, ia.id]);
    expect(out.at(-1)).toMatchObject({ summary: { records: 2 } });
    expect((await svc.du({})).records.map((r) => r.id)).toEqual([held.id]);
    expect(existsSync(a.path) || existsSync(b.path)).toBe(false);
  });

  test("without --all keeps internal and frontend records", async () => {
    const a = await svc.create({ type: "internal" });
    await svc.commit({ id: a.id });
    const out = await collect(svc.prune({}));
    expect(out).toEqual([{ summary: { records: 0, bytes: 0 } }]);
  });

  test("--dry-run removes nothing", async () => {
    const a = await svc.create({});
    const i = await svc.commit({ id: a.id });
    const out = await collect(svc.prune({ all: true, dryRun: true }));
    expect(out[0]).toMatchObject({ id: i.id });
    expect((await svc.info({ ref: i.id })).id).toBe(i.id);
  });

  test("du counts the twin pair once and totals add up", async () => {
    const a = await svc.create({});
    writeFileSync(`${a.path}/big`, Buffer.alloc(100_000, 1));
    const i = await svc.commit({ id: a.id });
    const b = await svc.create({});
    const du = await svc.du({});
    expect(du.records.map((r) => r.id).sort()).toEqual([i.id, b.id].sort());
    const size = du.records.find((r) => r.id === i.id)!.size;
    expect(size).toBeGreaterThanOrEqual(100_000);
    expect(du.totals.total).toBe(du.records.reduce((n, r) => n + r.size, 0));
    expect(du.totals.reclaimable).toBe(size);
    expect(du.totals.metadata).toBeGreaterThan(0);
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
