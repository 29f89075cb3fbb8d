/**
 * The metadata store conformance suite: each resource's port (records, links, holds,
 * keys, leases, blobs, meta) and the transaction rules around them.
 */
import assert from "node:assert/strict";
import type { Clock } from "../../src/core/ports/host.ts";
import { leaseOwner } from "../../src/core/ports/leases.ts";
import type { MetadataStore, Tx } from "../../src/core/ports/metadata.ts";
import { newRow, type RecordRow } from "../../src/core/record.ts";
import { inTemp, type Test } from "./harness.ts";

/** Opens the store under test on a database file. */
export type MakeStore = (file: string, clock: Clock) => Promise<MetadataStore>;

const t0 = Date.parse("2026-11-29T12:00:00Z");
/** Rows as plain objects: drivers may hand out objects without a prototype (node:sqlite). */
const plain = <T>(x: T): T => (Array.isArray(x) ? x.map((r) => ({ ...r })) : x && typeof x === "object" ? { ...x } : x) as T;
const row = (id: string, fields: Partial<RecordRow> = {}) =>
  newRow({ id, kind: "base", mutable: false, createdAt: t0, snapshot: id, ...fields });

export function metadataSuite(test: Test, name: string, make: MakeStore): void {
  const on = (fn: (store: MetadataStore, clock: Clock & { at: number }, file: string) => Promise<void>) => () =>
    inTemp(async (dir) => {
      const clock = { at: t0, now() { return this.at; } };
      const store = await make(`${dir}/meta.db`, clock);
      try {
        await fn(store, clock, `${dir}/meta.db`);
      } finally {
        await store.close();
      }
    });
  const w = <T>(s: MetadataStore, fn: (tx: Tx) => Promise<T>) => s.write(fn);

  test(`${name}: records keep every field, flags as booleans, and only ready ones are seen as ready`, on(async (s) => {
    const full = row("a", {
      mutable: true, shared: true, lazy: true, description: "d", recordType: "exec.cachemount", cachePolicy: "retain",
      size: 42, lastUsedAt: t0 + 1, usageCount: 3, blobDigest: "sha256:b", blobMediaType: "m", blobSize: 7,
      blobDiffID: "sha256:d", chainID: "sha256:c", blobChainID: "sha256:bc",
    });
    await w(s, (tx) => tx.records.insert(full, []));
    await w(s, (tx) => tx.records.insert(row("b", { state: "creating", owner: "p:1" }), []));
    assert.deepEqual(plain(await s.read((tx) => tx.records.get("a"))), full);
    assert.equal((await s.read((tx) => tx.records.get("b")))?.state, "creating");
    assert.deepEqual((await s.read((tx) => tx.records.ready(["a", "b", "zz"]))).map((r) => r.id), ["a"]);
    assert.deepEqual((await s.read((tx) => tx.records.allReady())).map((r) => r.id), ["a"]);
    assert.deepEqual((await s.read((tx) => tx.records.inState("creating"))).map((r) => r.id), ["b"]);
    await w(s, (tx) => tx.records.insert(row("c", { state: "deleting", owner: "p:2" }), []));
    assert.deepEqual((await s.read((tx) => tx.records.inState())).map((r) => r.id).sort(), ["b", "c"]);
    assert.deepEqual((await s.read((tx) => tx.records.inState("deleting"))).map((r) => r.id), ["c"]);
    await w(s, (tx) => tx.records.update(["a"], { mutable: false, lazy: false, size: null }));
    const a = await s.read((tx) => tx.records.get("a"));
    assert.deepEqual([a?.mutable, a?.lazy, a?.shared, a?.size], [false, false, true, null]);
    assert.deepEqual((await s.read((tx) => tx.records.ownedBy(["p:1"]))), []); // creating is not ready
    assert.deepEqual(await s.read((tx) => tx.records.makers()), []);
    await w(s, (tx) => tx.records.update(["a"], { owner: "p:3" }));
    // Only ready rows have makers: b (p:1, creating) and c (p:2, deleting) do not count.
    assert.deepEqual(await s.read((tx) => tx.records.makers()), ["p:3"]);
    await w(s, (tx) => tx.records.delete(["c"]));
  }));

  test(`${name}: parent links keep their order; unlinking makes orphans bases`, on(async (s) => {
    await w(s, async (tx) => {
      for (const id of ["p", "q"]) await tx.records.insert(row(id), []);
      await tx.records.insert(row("m", { kind: "merge" }), ["q", "p"]);
      await tx.records.insert(row("c", { kind: "layer" }), ["p"]);
    });
    assert.deepEqual(await s.read((tx) => tx.links.parents(["m", "c", "p"])), new Map([["m", ["q", "p"]], ["c", ["p"]], ["p", []]]));
    const kids = await s.read((tx) => tx.links.children(["p", "q", "c"]));
    assert.deepEqual([...kids.keys()].sort(), ["p", "q"]);
    assert.deepEqual(kids.get("p")!.sort(), ["c", "m"]);
    assert.equal((await s.read((tx) => tx.links.all())).length, 3);
    await w(s, (tx) => tx.links.unlink(["p"]));
    assert.equal((await s.read((tx) => tx.records.get("c")))?.kind, "base");
    assert.equal((await s.read((tx) => tx.records.get("m")))?.kind, "merge"); // still has q
    await w(s, (tx) => tx.links.remove(["m"]));
    assert.deepEqual(await s.read((tx) => tx.links.all()), []);
  }));

  test(`${name}: deleting records takes their links, holds and keys with them`, on(async (s) => {
    await w(s, async (tx) => {
      await tx.records.insert(row("p"), []);
      await tx.records.insert(row("c", { kind: "layer" }), ["p"]);
      await tx.holds.add("c", null, null);
      await tx.keys.set("k", "c");
    });
    await w(s, (tx) => tx.records.delete(["c"]));
    assert.equal(await s.read((tx) => tx.records.get("c")), undefined);
    assert.equal(await s.read((tx) => tx.keys.get("k")), undefined);
    assert.deepEqual(await s.read((tx) => tx.holds.held(["c"])), new Set());
    assert.deepEqual(await s.read((tx) => tx.links.all()), []);
  }));

  test(`${name}: twins, snapshot keys and the lookups by chain`, on(async (s) => {
    await w(s, async (tx) => {
      await tx.records.insert(row("m", { mutable: true }), []);
      await tx.records.insert(row("i", { twin: "m", snapshot: "m", chainID: "c1", blobChainID: "b1" }), []);
      await tx.records.insert(row("lazy", { snapshot: null, lazy: true, chainID: "c1", blobChainID: "b2" }), []);
    });
    assert.equal((await s.read((tx) => tx.records.twinOf("m")))?.id, "i");
    assert.deepEqual(await s.read((tx) => tx.records.snapshotKeys()), new Set(["m"]));
    assert.deepEqual(await s.read((tx) => tx.records.stillUsed(["m"], ["m"])), new Set(["m"]));
    assert.deepEqual(await s.read((tx) => tx.records.stillUsed(["m"], ["m", "i"])), new Set());
    assert.equal((await s.read((tx) => tx.records.byBlobChain("b2")))?.id, "lazy");
    const found = await s.read((tx) => tx.records.byBlobChains(["b1", "b2", "b3"]));
    assert.deepEqual([...found].map(([b, r]) => [b, r.id]).sort(), [["b1", "i"], ["b2", "lazy"]]);
    await w(s, (tx) => tx.records.insertAll([{ row: row("x", { blobChainID: "b3" }), parents: [] }, { row: row("y"), parents: ["x", "i"] }]));
    assert.equal((await s.read((tx) => tx.records.byBlobChains(["b3"]))).get("b3")?.id, "x");
    assert.deepEqual((await s.read((tx) => tx.links.parents(["y"]))).get("y"), ["x", "i"]);
    await w(s, (tx) => tx.records.insertAll([]));
    assert.equal((await s.read((tx) => tx.records.byChainWithSnapshot("c1")))?.id, "i");
    const stats = await s.read((tx) => tx.records.stats());
    assert.deepEqual(stats.map((x) => [x.mutable, x.count]).sort(), [[false, 4], [true, 1]]);
  }));

  test(`${name}: a hold keeps a record, its twin and its ancestors in use until it ends or expires`, on(async (s, clock) => {
    await w(s, async (tx) => {
      await tx.records.insert(row("p"), []);
      await tx.records.insert(row("c", { kind: "layer", mutable: true }), ["p"]);
      await tx.records.insert(row("t", { kind: "layer", twin: "c", snapshot: "c" }), ["p"]);
      await tx.records.insert(row("other"), []);
      await tx.holds.add("c", null, t0 + 1000);
    });
    assert.deepEqual(await s.read((tx) => tx.holds.held(["c", "t", "p"])), new Set(["c"]));
    assert.deepEqual(await s.read((tx) => tx.holds.inUse()), new Set(["c", "t", "p"]));
    assert.deepEqual(await s.read((tx) => tx.holds.inUse(["p", "other"])), new Set(["p"]));
    const v = await s.query((tx) => tx.records.view("p"));
    assert.deepEqual([v?.inUse, v?.heldUntil, v?.parents], [true, t0 + 1000, []]);
    assert.equal(await s.read((tx) => tx.holds.anyExpired()), false);
    clock.at = t0 + 1000;
    assert.equal(await s.read((tx) => tx.holds.anyExpired()), true);
    assert.deepEqual(await s.read((tx) => tx.holds.inUse()), new Set());
  }));

  test(`${name}: ending holds counts one use per record, whatever the number of holds`, on(async (s, clock) => {
    await w(s, async (tx) => {
      await tx.records.insert(row("a"), []);
      await tx.holds.add("a", "p:1", null);
      await tx.holds.add("a", null, t0 + 5000);
      await tx.holds.add("a", leaseOwner("l"), t0 + 5000);
    });
    clock.at = t0 + 10;
    // Handed out: holds with an expiry that are not a lease's.
    await w(s, (tx) => tx.holds.end({ records: ["a"], handedOut: true }));
    assert.equal((await s.read((tx) => tx.records.get("a")))?.usageCount, 0); // still held
    assert.deepEqual((await s.read((tx) => tx.holds.owners())).sort(), [leaseOwner("l"), "p:1"].sort());
    await w(s, (tx) => tx.holds.end({ owners: ["p:1", leaseOwner("l")] }));
    const a = await s.read((tx) => tx.records.get("a"));
    assert.deepEqual([a?.usageCount, a?.lastUsedAt], [1, t0 + 10]);
    await w(s, (tx) => tx.holds.touch(["a"]));
    assert.equal((await s.read((tx) => tx.records.get("a")))?.usageCount, 2);
    await w(s, (tx) => tx.holds.add("a", null, t0 + 20));
    clock.at = t0 + 30;
    await w(s, (tx) => tx.holds.end({ expired: true }));
    assert.equal((await s.read((tx) => tx.records.get("a")))?.usageCount, 3);
  }));

  test(`${name}: keys point at records; setting again moves them`, on(async (s, clock) => {
    await w(s, async (tx) => {
      await tx.keys.set("deps-1", "a");
      await tx.keys.set("deps-2", "b");
    });
    clock.at = t0 + 5;
    await w(s, (tx) => tx.keys.set("deps-1", "c"));
    assert.equal(await s.read((tx) => tx.keys.get("deps-1")), "c");
    assert.deepEqual(plain(await s.read((tx) => tx.keys.list())), [
      { name: "deps-1", record: "c", updatedAt: t0 + 5 },
      { name: "deps-2", record: "b", updatedAt: t0 },
    ]);
    assert.equal(await w(s, (tx) => tx.keys.delete("deps-1")), true);
    assert.equal(await w(s, (tx) => tx.keys.delete("deps-1")), false);
  }));

  test(`${name}: leases list their blobs and the records their holds keep`, on(async (s) => {
    await w(s, async (tx) => {
      await tx.leases.create("l1", null);
      await tx.leases.create("l2", t0 + 100);
      await tx.leases.addBlob("l1", "sha256:x");
      await tx.leases.addBlob("l1", "sha256:x");
      await tx.records.insert(row("r"), []);
      await tx.holds.add("r", leaseOwner("l1"), null);
    });
    assert.deepEqual(plain(await s.read((tx) => tx.leases.get("l2"))), { id: "l2", expiresAt: t0 + 100, createdAt: t0 });
    assert.deepEqual((await s.read((tx) => tx.leases.list())).map((l) => l.id).sort(), ["l1", "l2"]);
    assert.deepEqual(await s.read((tx) => tx.leases.blobs("l1")), ["sha256:x"]);
    assert.deepEqual(await s.read((tx) => tx.leases.records(["l1", "l2"])), new Map([["l1", ["r"]], ["l2", []]]));
    assert.equal((await s.read((tx) => tx.blobs.referenced())).has("sha256:x"), true);
    await w(s, (tx) => tx.leases.delete(["l1"]));
    assert.equal(await s.read((tx) => tx.leases.get("l1")), undefined);
    assert.deepEqual(await s.read((tx) => tx.leases.blobs("l1")), []);
  }));

  test(`${name}: blobs by digest, size and diffID; referenced as a record's blob or a variant of its layer`, on(async (s) => {
    const gz = { digest: "sha256:gz", mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", size: 10, diffID: "sha256:d" };
    const zs = { ...gz, digest: "sha256:zs", mediaType: "application/vnd.oci.image.layer.v1.tar+zstd", size: 9 };
    const lone = { ...gz, digest: "sha256:lone", diffID: "sha256:other", size: 11 };
    await w(s, async (tx) => {
      for (const b of [gz, zs, lone]) await tx.blobs.put(b);
      await tx.blobs.put({ ...gz, size: 99 }); // known already: kept as it was
      await tx.records.insert(row("r", { blobDigest: "sha256:gz", blobDiffID: "sha256:d" }), []);
    });
    assert.deepEqual(plain(await s.read((tx) => tx.blobs.get("sha256:gz"))), { ...gz, createdAt: t0 });
    assert.equal(await s.read((tx) => tx.blobs.anyOfSize(9)), true);
    assert.equal(await s.read((tx) => tx.blobs.anyOfSize(12)), false);
    assert.deepEqual((await s.read((tx) => tx.blobs.byDiffID("sha256:d"))).map((b) => b.digest).sort(), ["sha256:gz", "sha256:zs"]);
    assert.deepEqual(await s.read((tx) => tx.blobs.referenced()), new Set(["sha256:gz", "sha256:zs"]));
    await w(s, (tx) => tx.blobs.delete(["sha256:lone"]));
    assert.deepEqual((await s.read((tx) => tx.blobs.all())).map((b) => b.digest).sort(), ["sha256:gz", "sha256:zs"]);
  }));

  test(`${name}: meta values are set and replaced`, on(async (s) => {
    assert.equal(await s.read((tx) => tx.meta.get("x")), undefined);
    await w(s, (tx) => tx.meta.set("x", "1"));
    await w(s, (tx) => tx.meta.set("x", "2"));
    assert.equal(await s.read((tx) => tx.meta.get("x")), "2");
  }));

  test(`${name}: remote blobs: repositories per blob, most recently seen first, each once`, on(async (s, clock) => {
    await w(s, (tx) => tx.remoteBlobs.add("reg:5000/a", ["sha256:b"]));
    clock.at += 1000;
    await w(s, (tx) => tx.remoteBlobs.add("reg:5000/b", ["sha256:b", "sha256:b"]));
    await w(s, (tx) => tx.remoteBlobs.add("reg:5000/a", ["sha256:c"]));
    assert.deepEqual(await s.read((tx) => tx.remoteBlobs.repositories("sha256:b")), ["reg:5000/b", "reg:5000/a"]);
    clock.at += 1000;
    await w(s, (tx) => tx.remoteBlobs.add("reg:5000/a", ["sha256:b", "sha256:c"]));
    assert.deepEqual(await s.read((tx) => tx.remoteBlobs.repositories("sha256:b")), ["reg:5000/a", "reg:5000/b"]);
    assert.deepEqual(await s.read((tx) => tx.remoteBlobs.repositories("sha256:c")), ["reg:5000/a"]);
    assert.deepEqual(await s.read((tx) => tx.remoteBlobs.repositories("sha256:none")), []);
    await w(s, (tx) => tx.remoteBlobs.add("reg:5000/a", []));
  }));

  test(`${name}: lists of ids longer than SQLite binds in one statement are read, changed and removed whole`, on(async (s) => {
    const ids = Array.from({ length: 40_000 }, (_, i) => `r${i}`);
    await w(s, (tx) => tx.records.insertAll(ids.map((id, i) => ({ row: row(id), parents: i ? [ids[i - 1]!] : [] }))));
    await w(s, async (tx) => {
      await tx.records.update(ids, { size: 7 });
      for (const id of ["r0", "r39999"]) await tx.holds.add(id, null, null);
    });
    const read = await s.read(async (tx) => ({
      ready: await tx.records.ready(ids),
      held: await tx.holds.held(ids),
      parents: await tx.links.parents(ids),
      children: await tx.links.children(ids),
    }));
    assert.equal(read.ready.length, 40_000);
    assert.ok(read.ready.every((r) => r.size === 7));
    assert.deepEqual([...read.held].sort(), ["r0", "r39999"]);
    assert.deepEqual(read.parents.get("r39999"), ["r39998"]);
    assert.equal(read.children.size, 39_999);
    await w(s, (tx) => tx.records.delete(ids));
    assert.deepEqual(await s.read((tx) => tx.records.allReady()), []);
    assert.deepEqual(await s.read((tx) => tx.holds.held(ids)), new Set());
  }));

  test(`${name}: a failed write changes nothing`, on(async (s) => {
    await assert.rejects(w(s, async (tx) => {
      await tx.records.insert(row("a"), []);
      await tx.keys.set("k", "a");
      throw new Error("half way");
    }), /half way/);
    assert.equal(await s.read((tx) => tx.records.get("a")), undefined);
    assert.equal(await s.read((tx) => tx.keys.get("k")), undefined);
  }));

  test(`${name}: another connection's writes move the version; tryWrite does not wait for a busy writer`, on(async (s, clock, file) => {
    const other = await make(file, clock);
    try {
      const v0 = await s.version();
      assert.equal(await s.version(), v0);
      await other.write((tx) => tx.meta.set("x", "1"));
      const v1 = await s.version();
      assert.notEqual(v1, v0);
      await s.write((tx) => tx.meta.set("y", "1"));
      assert.notEqual(await s.version(), v1);
      // While `other` holds the write lock, tryWrite gives up at once.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const writing = other.write(async (tx) => {
        await tx.meta.set("z", "1");
        await held;
      });
      assert.equal(await s.tryWrite((tx) => tx.meta.set("w", "1")), undefined);
      release();
      await writing;
      assert.equal(await s.tryWrite(async (tx) => (await tx.meta.set("w", "1"), "done")), "done");
      assert.equal(await s.read((tx) => tx.meta.get("z")), "1");
    } finally {
      await other.close();
    }
  }));
}
