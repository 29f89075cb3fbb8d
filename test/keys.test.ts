/** CI keys and leases (SPEC §4 `key`, `lease`), through the service and the CLI. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Service } from "../src/api/service.ts";
import { cleanup, cli, fakeClock, ok, open, tempDir } from "./helpers/env.ts";

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

const record = async () => svc.commit({ id: (await svc.create({})).id });
const pruneAll = async () => {
  const out: string[] = [];
  for await (const r of svc.prune({ all: true })) if ("id" in r) out.push(r.id);
  return out;
};

describe("keys", () => {
  test("set, get, ls, rm; key:NAME works wherever a REF is taken", async () => {
    const r = await record();
    expect(await svc.keySet({ name: "deps-linux-abc", ref: r.id })).toEqual({ key: "deps-linux-abc", id: r.id, exact: true });
    expect(await svc.keyGet({ name: "deps-linux-abc" })).toEqual({ key: "deps-linux-abc", id: r.id, exact: true });
    expect((await svc.info({ ref: "key:deps-linux-abc" })).id).toBe(r.id);
    const child = await svc.create({ parent: "key:deps-linux-abc" });
    expect(child.parents).toEqual([r.id]);
    expect((await svc.keyList()).map((k) => k.key)).toEqual(["deps-linux-abc"]);
    expect(await svc.keyRemove({ name: "deps-linux-abc" })).toEqual({ key: "deps-linux-abc", deleted: true });
    await expect(svc.keyGet({ name: "deps-linux-abc" })).rejects.toMatchObject({ code: "key_not_found" });
  });

  test("restore prefixes fall back to the newest matching key, in the order given", async () => {
    const older = await record();
    await svc.keySet({ name: "deps-linux-111", ref: older.id });
    clock.advance(1000);
    const newer = await record();
    await svc.keySet({ name: "deps-linux-222", ref: newer.id });
    const other = await record();
    await svc.keySet({ name: "deps-mac-333", ref: other.id });
    expect(await svc.keyGet({ name: "deps-linux-999", restorePrefix: ["deps-linux-"] }))
      .toEqual({ key: "deps-linux-222", id: newer.id, exact: false });
    expect(await svc.keyGet({ name: "deps-linux-999", restorePrefix: ["deps-mac-", "deps-"] }))
      .toEqual({ key: "deps-mac-333", id: other.id, exact: false });
    await expect(svc.keyGet({ name: "x", restorePrefix: ["nothing-"] })).rejects.toMatchObject({ code: "key_not_found" });
  });

  test("setting a key on an unheld mutable record commits it; a held one is locked", async () => {
    const m = await svc.create({});
    await expect(svc.keySet({ name: "k", ref: m.id })).rejects.toMatchObject({ code: "locked" });
    const hit = await svc.commit({ id: m.id, key: "k" });
    expect((await svc.keyGet({ name: "k" })).id).toBe(hit.id);
  });

  test("a key goes with its record when the record is pruned", async () => {
    const r = await record();
    await svc.keySet({ name: "gone", ref: r.id });
    expect(await pruneAll()).toEqual([r.id]);
    await expect(svc.keyGet({ name: "gone" })).rejects.toMatchObject({ code: "key_not_found" });
  });

  test("CLI: a miss exits 7, a hit prints the record ID", () => {
    const m = ok(root, "new");
    const c = ok(root, "commit", m.id, "--key", "build-1");
    expect(ok(root, "key", "get", "build-1")).toEqual({ key: "build-1", id: c.id, exact: true });
    expect(cli(root, "key", "get", "build-2").code).toBe(7);
    expect(cli(root, "key", "get", "build-2", "--restore-prefix", "build-").stdout).toBe(`${c.id}\tbuild-1 (restored)\n`);
    expect(cli(root, "key", "rm", "build-9").code).toBe(7);
    expect(cli(root, "key", "frob").code).toBe(2);
    expect(cli(root, "key", "set", "only-name").code).toBe(2);
  });
});

describe("leases", () => {
  test("a lease holds its records until it is removed", async () => {
    const r = await record();
    const l = await svc.leaseCreate({ id: "ci-job-7" });
    expect(l).toMatchObject({ id: "ci-job-7", expiresAt: null, expired: false, records: [] });
    expect((await svc.leaseAdd({ id: "ci-job-7", ref: r.id })).records).toEqual([r.id]);
    expect((await svc.info({ ref: r.id })).inUse).toBe(true);
    expect(await pruneAll()).toEqual([]);
    expect((await svc.leaseList()).map((x) => x.id)).toEqual(["ci-job-7"]);
    await svc.leaseRemove({ id: "ci-job-7" });
    expect(await pruneAll()).toEqual([r.id]);
  });

  test("an expired lease holds nothing", async () => {
    const r = await record();
    const l = await svc.leaseCreate({ expires: 60_000 });
    await svc.leaseAdd({ id: l.id, ref: r.id });
    expect((await svc.info({ ref: r.id })).inUse).toBe(true);
    clock.advance(61_000);
    expect((await svc.info({ ref: r.id })).inUse).toBe(false);
    expect((await svc.leaseList())[0]!.expired).toBe(true);
    await expect(svc.leaseAdd({ id: l.id, ref: r.id })).rejects.toMatchObject({ code: "invalid" });
    expect(await pruneAll()).toEqual([r.id]);
  });

  test("a lease survives the process that made it", () => {
    const m = ok(root, "new");
    const c = ok(root, "commit", m.id);
    ok(root, "lease", "create", "--id", "L1");
    ok(root, "lease", "add", "L1", c.id);
    expect(ok(root, "info", c.id).inUse).toBe(true);
    expect(cli(root, "lease", "create", "--id", "L1").code).toBe(5);
    expect(cli(root, "lease", "rm", "nope").code).toBe(3);
    ok(root, "lease", "rm", "L1");
    expect(ok(root, "info", c.id).inUse).toBe(false);
  });
});
