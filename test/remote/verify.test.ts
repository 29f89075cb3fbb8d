/**
 * Bytes are checked before anyone keeps them: blob streams, manifests by digest and by
 * tag, index entries. A stub registry serves whatever lie each test needs.
 */
import { expect, test } from "bun:test";
import { createRegistry } from "../../src/remote/client.ts";
import { Verifier } from "../../src/remote/digest.ts";
import { limiter } from "../../src/remote/limit.ts";
import { mediaTypes } from "../../src/remote/manifest.ts";
import { blob, content, manifestBytes } from "../helpers/registry.ts";

/** A registry at reg.example serving `routes` by path (the probe is answered). */
function stubRegistry(routes: { [path: string]: () => Response }) {
  const fetcher = (async (input: string | URL) => {
    const path = new URL(String(input)).pathname;
    if (path === "/v2/") return Response.json({});
    return routes[path]?.() ?? Response.json({ errors: [{ code: "NOT_FOUND" }] }, { status: 404 });
  }) as typeof fetch;
  return createRegistry({ fetch: fetcher, retry: { sleep: async () => {} } });
}

const cfg = blob(10, mediaTypes.ociConfig);
const layer = blob(20);
const good = content(manifestBytes(cfg.descriptor, [layer.descriptor]), mediaTypes.ociManifest);
const other = content(manifestBytes(cfg.descriptor, []), mediaTypes.ociManifest);
const serve = (bytes: Uint8Array<ArrayBuffer>, headers: { [k: string]: string } = {}) => () =>
  new Response(bytes, { headers: { "content-type": mediaTypes.ociManifest, ...headers } });

test("a verifier refuses a byte past the size at once, and a short or different stream at the end", () => {
  const b = blob(100);
  const over = new Verifier(b.descriptor, "blob");
  over.update(b.bytes);
  expect(() => over.update(new Uint8Array(1))).toThrow(expect.objectContaining({ code: "integrity" }));
  const short = new Verifier(b.descriptor, "blob");
  short.update(b.bytes.subarray(0, 99));
  expect(() => short.finish()).toThrow(expect.objectContaining({ code: "integrity" }));
  const flipped = new Verifier(b.descriptor, "blob");
  flipped.update(b.bytes.map((x, i) => (i === 50 ? x ^ 1 : x)));
  expect(() => flipped.finish()).toThrow(expect.objectContaining({ code: "integrity" }));
  expect(() => new Verifier({ digest: "md5:abc", size: 1 }, "blob")).toThrow(expect.objectContaining({ code: "invalid" }));
});

test("a manifest fetched by digest must have that digest", async () => {
  const registry = stubRegistry({ [`/v2/app/manifests/${good.descriptor.digest}`]: serve(other.bytes) });
  await expect(registry.resolve(`reg.example/app@${good.descriptor.digest}`)).rejects.toMatchObject({ code: "integrity" });
});

test("a manifest fetched by tag must match the registry's Docker-Content-Digest", async () => {
  const registry = stubRegistry({
    "/v2/app/manifests/ok": serve(good.bytes, { "docker-content-digest": good.descriptor.digest }),
    "/v2/app/manifests/lie": serve(good.bytes, { "docker-content-digest": other.descriptor.digest }),
  });
  expect((await registry.resolve("reg.example/app:ok")).manifest.digest).toBe(good.descriptor.digest);
  await expect(registry.resolve("reg.example/app:lie")).rejects.toMatchObject({ code: "integrity" });
});

test("an index entry's size is checked against the manifest it names", async () => {
  const index = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2, mediaType: mediaTypes.ociIndex,
    manifests: [{ ...good.descriptor, size: good.descriptor.size + 1, platform: { os: "linux", architecture: "amd64" } }],
  }));
  const registry = stubRegistry({ "/v2/app/manifests/multi": serve(index), [`/v2/app/manifests/${good.descriptor.digest}`]: serve(good.bytes) });
  await expect(registry.resolve("reg.example/app:multi", { platform: "linux/amd64" })).rejects.toMatchObject({ code: "integrity" });
});

test("schema 1 and descriptors without sha256 digests are refused as invalid", async () => {
  const v1 = new TextEncoder().encode(JSON.stringify({ schemaVersion: 1, name: "app", fsLayers: [] }));
  const md5 = manifestBytes(cfg.descriptor, [{ ...layer.descriptor, digest: "md5:0123" }]);
  const registry = stubRegistry({ "/v2/app/manifests/v1": serve(v1), "/v2/app/manifests/md5": serve(md5) });
  await expect(registry.resolve("reg.example/app:v1")).rejects.toMatchObject({ code: "invalid" });
  await expect(registry.resolve("reg.example/app:md5")).rejects.toMatchObject({ code: "invalid" });
});

test("a limiter lets n through and queues the rest in order", async () => {
  const slots = limiter(2);
  const order: number[] = [];
  const a = await slots.acquire();
  const b = await slots.acquire();
  const c = slots.acquire().then((r) => (order.push(3), r));
  const d = slots.acquire().then((r) => (order.push(4), r));
  expect(slots.active).toBe(2);
  a();
  a();
  (await c)();
  b();
  (await d)();
  expect(order).toEqual([3, 4]);
  expect(slots.active).toBe(0);
});

test("an open blob stream holds a transfer slot until it is read or returned", async () => {
  const path = `/v2/app/blobs/${layer.descriptor.digest}`;
  const fetcher = (async (input: string | URL) => {
    const p = new URL(String(input)).pathname;
    return p === "/v2/" ? Response.json({}) : p === path ? new Response(layer.bytes) : new Response(null, { status: 404 });
  }) as typeof fetch;
  const registry = createRegistry({ fetch: fetcher, transfers: 1 });
  const first = await registry.fetchBlob("reg.example/app", layer.descriptor);
  let second: AsyncIterable<Uint8Array> | undefined;
  const waiting = registry.fetchBlob("reg.example/app", layer.descriptor).then((s) => (second = s));
  await Bun.sleep(0);
  expect(second).toBeUndefined();
  await first[Symbol.asyncIterator]().return!();
  await waiting;
  for await (const _ of second!) void _;
  // Both slots are free again: a third stream opens at once.
  await registry.fetchBlob("reg.example/app", layer.descriptor).then((s) => s[Symbol.asyncIterator]().return!());
});
