/**
 * The content store conformance suite: a blob is stored whole under the digest of its
 * bytes, checked against what was expected, or it leaves nothing.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ContentStore } from "../../src/core/ports/content.ts";
import { inTemp, type Test } from "./harness.ts";

/** Makes the store under test on a fresh root, for a process named `owner`. */
export type MakeContent = (root: string, owner: string) => ContentStore;

const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const bytes = new TextEncoder().encode("some layer bytes\n".repeat(1000));

async function put(store: ContentStore, data: Uint8Array) {
  const ingest = store.ingest();
  ingest.write(data);
  return (await ingest.commit()).digest;
}

export function contentSuite(test: Test, name: string, make: MakeContent): void {
  const on = (fn: (store: ContentStore, root: string) => Promise<void>) => () =>
    inTemp((root) => fn(make(root, "me:1"), root));

  test(`${name}: a blob is stored under the digest of its bytes, written in pieces`, on(async (store) => {
    const ingest = store.ingest({ digest: sha(bytes), size: bytes.length });
    ingest.write(bytes.subarray(0, 100));
    ingest.write(bytes.subarray(100));
    assert.deepEqual(await ingest.commit(), { digest: sha(bytes), size: bytes.length });
    assert.equal(store.has(sha(bytes)), true);
    assert.ok(readFileSync(store.path(sha(bytes))).equals(bytes));
    assert.deepEqual(store.stat(sha(bytes))?.size, bytes.length);
    assert.equal(await store.rehash(sha(bytes)), sha(bytes));
  }));

  test(`${name}: another digest or size than expected is an integrity error and stores nothing`, on(async (store) => {
    for (const expected of [{ digest: sha(new Uint8Array(1)) }, { size: 5 }]) {
      const ingest = store.ingest(expected);
      ingest.write(bytes);
      await assert.rejects(ingest.commit(), { code: "integrity" });
    }
    assert.deepEqual(store.list(), []);
    assert.equal(store.size(), 0);
  }));

  test(`${name}: a caller that hashes the bytes itself gives the digest`, on(async (store) => {
    const ingest = store.ingest(undefined, { callerHashes: true });
    ingest.write(bytes);
    assert.deepEqual(await ingest.commit(sha(bytes)), { digest: sha(bytes), size: bytes.length });
    assert.ok(readFileSync(store.path(sha(bytes))).equals(bytes));
    const forgot = store.ingest(undefined, { callerHashes: true });
    forgot.write(bytes.subarray(1));
    await assert.rejects(forgot.commit(), /digest is missing/);
    assert.deepEqual(store.list(), [sha(bytes)]);
  }));

  test(`${name}: an aborted ingest stores nothing`, on(async (store) => {
    const ingest = store.ingest();
    ingest.write(bytes);
    ingest.abort();
    assert.deepEqual(store.list(), []);
  }));

  test(`${name}: list, size, stat and remove agree`, on(async (store) => {
    const a = await put(store, bytes);
    const b = await put(store, bytes.subarray(0, 10));
    assert.deepEqual(store.list().sort(), [a, b].sort());
    assert.equal(store.size(), bytes.length + 10);
    store.remove(a);
    assert.equal(store.has(a), false);
    assert.equal(store.stat(a), undefined);
    assert.deepEqual(store.list(), [b]);
    store.remove(a); // twice is fine
  }));

  test(`${name}: an ingest left by a process that died is swept; a live one's is kept`, on(async (_store, root) => {
    const dead = make(root, "dead:1");
    const live = make(root, "live:1");
    dead.ingest().write(bytes); // never committed: the process died
    const open = live.ingest();
    open.write(bytes.subarray(0, 10));
    const me = make(root, "me:1");
    assert.equal(me.sweepIngests((owner) => owner === "live:1"), bytes.length);
    assert.equal(me.sweepIngests((owner) => owner === "live:1"), 0);
    // The live ingest still commits.
    assert.equal((await open.commit()).size, 10);
  }));

  test(`${name}: a blob is read whole or by a range of bytes; an absent one is a missing blob`, on(async (store) => {
    const digest = await put(store, bytes);
    const read = async (range?: { start: number; end: number }) => {
      const parts: Uint8Array[] = [];
      for await (const c of store.read(digest, range)) parts.push(c);
      return Buffer.concat(parts);
    };
    assert.ok((await read()).equals(bytes));
    assert.ok((await read({ start: 10, end: 99 })).equals(bytes.subarray(10, 100)));
    store.remove(digest);
    await assert.rejects(read(), { code: "missing_blob" });
  }));

  test(`${name}: a malformed digest is a usage error`, on(async (store) => {
    assert.throws(() => store.path("md5:abc"), { code: "usage" });
  }));
}
