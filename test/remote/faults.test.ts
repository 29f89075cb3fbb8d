/**
 * The client through a proxy that misbehaves on purpose (test/helpers/fault-proxy.ts):
 * drops, throttling, server errors and corrupt bytes end as the SPEC says, after a
 * bounded number of tries. Pauses go through an injected sleep that only records.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { exitCodes } from "../../src/core/errors.ts";
import { createRegistry } from "../../src/remote/client.ts";
import { mediaTypes } from "../../src/remote/manifest.ts";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import { blob, chunks, collect, manifestBytes, startRegistry, type TestRegistry } from "../helpers/registry.ts";

let reg: TestRegistry;
let proxy: FaultProxy;
const sleeps: number[] = [];
const layer = blob(300_000);
const config = blob(400, mediaTypes.ociConfig);

beforeAll(async () => {
  reg = await startRegistry({ relativeUrls: true });
  const direct = createRegistry();
  for (const b of [layer, config]) await direct.pushBlob(`${reg.host}/faults/app`, b.descriptor, () => chunks(b.bytes));
  await direct.putManifest(`${reg.host}/faults/app`, "v1", manifestBytes(config.descriptor, [layer.descriptor]), mediaTypes.ociManifest);
});
afterAll(() => reg.stop());
afterEach(() => {
  proxy?.stop();
  sleeps.length = 0;
});

/** A client through a fresh proxy; it never really waits. */
function viaProxy() {
  proxy = startFaultProxy(reg.url);
  const registry = createRegistry({
    retry: { sleep: async (ms) => void sleeps.push(ms) },
    sizes: { monolithicMax: 32 << 10, chunkSize: 64 << 10 },
  });
  return { registry, repo: `${proxy.host}/faults/app` };
}

const blobGets = () => proxy.seen.filter((s) => s.method === "GET" && s.path.endsWith(layer.descriptor.digest));

test("a connection dropped mid-blob resumes with Range and the bytes are right", async () => {
  const { registry, repo } = viaProxy();
  // A reset connection (the body read throws), then a body that ends short of its length.
  for (const how of ["reset", "short"] as const) {
    proxy.dropBlobOnce(how);
    proxy.seen.length = 0;
    expect(await collect(await registry.fetchBlob(repo, layer.descriptor))).toEqual(layer.bytes);
    const gets = blobGets();
    expect(gets.length).toBe(2);
    expect(gets[0]!.range).toBeNull();
    expect(gets[1]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(gets[1]!.status).toBe(206);
  }
  expect(sleeps.length).toBe(2);
});

test("a registry that answers the resumed GET with 200 is read again from the start, skipping what was had", async () => {
  const { registry, repo } = viaProxy();
  proxy.ignoreRange(true);
  proxy.dropBlobOnce();
  const seen: number[] = [];
  expect(await collect(await registry.fetchBlob(repo, layer.descriptor, { progress: (n) => seen.push(n) }))).toEqual(layer.bytes);
  expect(blobGets().map((g) => g.status)).toEqual([200, 200]);
  expect(seen.at(-1)).toBe(layer.descriptor.size);
  expect(seen).toEqual([...seen].sort((a, b) => a - b));
});

test("429 with Retry-After is waited out, then the request goes through", async () => {
  const { registry, repo } = viaProxy();
  proxy.tooMany(2);
  const { manifest } = await registry.resolve(`${repo}:v1`);
  expect(manifest.layers).toEqual([layer.descriptor]);
  expect(sleeps).toEqual([1000, 1000]);
  expect(proxy.seen.filter((s) => s.status === 429).length).toBe(2);
});

test("a chunked upload refused midway starts over from open() and lands", async () => {
  const { registry } = viaProxy();
  const big = blob(200_000);
  let opened = 0;
  proxy.tooMany(1, /^PATCH /);
  const repo = `${proxy.host}/faults/upload`;
  expect(await registry.pushBlob(repo, big.descriptor, () => (opened++, chunks(big.bytes)))).toBe("pushed");
  expect(opened).toBe(2);
  expect(proxy.seen.filter((s) => s.method === "POST").length).toBe(2);
  expect(proxy.seen.some((s) => s.method === "DELETE")).toBe(true);
  expect(sleeps).toEqual([1000]);
  expect(await collect(await registry.fetchBlob(repo, big.descriptor))).toEqual(big.bytes);
});

test("500 forever ends in remote_refused after a bounded number of attempts", async () => {
  const { registry, repo } = viaProxy();
  proxy.failForever(true);
  const err = await registry.resolve(`${repo}:v1`).catch((e) => e);
  expect(err.code).toBe("remote_refused");
  expect(exitCodes[err.code as keyof typeof exitCodes]).toBe(10);
  expect(err.message).toContain("HTTP 500 UNKNOWN");
  expect(err.message).toContain("gave up after 5 attempts");
  expect(proxy.seen.filter((s) => s.path.includes("/manifests/")).length).toBe(5);
  expect(sleeps.length).toBe(4);
  const blobErr = await registry.fetchBlob(repo, layer.descriptor).then(collect).catch((e) => e);
  expect(blobErr.code).toBe("remote_refused");
});

test("corrupted bytes are an integrity error, raised before the stream ends", async () => {
  const { registry, repo } = viaProxy();
  proxy.corruptBlobs(true);
  const err = await collect(await registry.fetchBlob(repo, layer.descriptor)).catch((e) => e);
  expect(err.code).toBe("integrity");
  expect(err.message).toContain(layer.descriptor.digest);
  await expect(registry.fetchConfig(repo, config.descriptor)).rejects.toMatchObject({ code: "integrity" });
  expect(sleeps).toEqual([]);
});

test("a blob the registry does not have is missing_blob, not retried", async () => {
  const { registry, repo } = viaProxy();
  await expect(registry.fetchBlob(repo, blob(10).descriptor)).rejects.toMatchObject({ code: "missing_blob" });
  expect(sleeps).toEqual([]);
});
