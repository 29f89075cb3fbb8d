/** The content store: a blob is hashed, checked and renamed into place whole, or leaves nothing. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { localContent } from "../../src/content/local.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => cleanup(dir));

const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const bytes = new TextEncoder().encode("some layer bytes\n".repeat(1000));
const leftovers = () => readdirSync(`${dir}/content/ingest`);

test("a blob is stored under the digest of its bytes", async () => {
  const store = localContent(dir, "test");
  const ingest = store.ingest();
  ingest.write(bytes.subarray(0, 100));
  ingest.write(bytes.subarray(100));
  const { digest, size } = await ingest.commit();
  expect({ digest, size }).toEqual({ digest: sha(bytes), size: bytes.length });
  expect(readFileSync(store.path(digest)).equals(bytes)).toBe(true);
  expect(leftovers()).toEqual([]);
});

test("a digest or size other than expected is an integrity error and leaves nothing", async () => {
  const store = localContent(dir, "test");
  for (const expected of [{ digest: sha(new Uint8Array(1)) }, { size: 5 }]) {
    const ingest = store.ingest(expected);
    ingest.write(bytes);
    await expect(ingest.commit()).rejects.toMatchObject({ code: "integrity" });
  }
  expect(store.list()).toEqual([]);
  expect(leftovers()).toEqual([]);
});

test("a caller that hashes the bytes itself gives the digest; without it nothing is stored", async () => {
  const store = localContent(dir, "test");
  const ingest = store.ingest(undefined, { callerHashes: true });
  ingest.write(bytes);
  expect(await ingest.commit(sha(bytes))).toEqual({ digest: sha(bytes), size: bytes.length });
  expect(readFileSync(store.path(sha(bytes))).equals(bytes)).toBe(true);
  const forgot = store.ingest(undefined, { callerHashes: true });
  forgot.write(bytes);
  await expect(forgot.commit()).rejects.toThrow(/digest is missing/);
  expect(store.list()).toEqual([sha(bytes)]);
  expect(leftovers()).toEqual([]);
});

test("an aborted ingest leaves nothing", () => {
  const store = localContent(dir, "test");
  const ingest = store.ingest();
  ingest.write(bytes);
  ingest.abort();
  expect(store.list()).toEqual([]);
  expect(leftovers()).toEqual([]);
});
