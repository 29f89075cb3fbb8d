/**
 * The client against a real, anonymous registry (distribution 2.8 on loopback): what goes
 * up comes back byte for byte, by the request shapes the distribution spec describes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileChunks } from "../../src/platform/file-chunks.ts";
import { sendFile } from "../../src/runtime/bun/serve.ts";
import { createRegistry, type RegistryOptions } from "../../src/remote/client.ts";
import { hostPlatform, mediaTypes } from "../../src/remote/manifest.ts";
import { newest } from "../../src/remote/tags.ts";
import { startFaultProxy } from "../helpers/fault-proxy.ts";
import { blob, chunks, collect, content, manifestBytes, startRegistry, type TestRegistry } from "../helpers/registry.ts";

let reg: TestRegistry;
beforeAll(async () => {
  reg = await startRegistry();
});
afterAll(() => reg.stop());

/** A client whose requests are recorded; uploads over 64 KiB go in 16 KiB chunks. */
function client(opts: RegistryOptions = {}) {
  const calls: { method: string; url: URL; headers: Headers }[] = [];
  const fetcher = ((input: string | URL, init?: RequestInit) => {
    calls.push({ method: init?.method ?? "GET", url: new URL(String(input)), headers: new Headers(init?.headers) });
    return fetch(input, init);
  }) as typeof fetch;
  const registry = createRegistry({ fetch: fetcher, sizes: { monolithicMax: 64 << 10, chunkSize: 16 << 10 }, ...opts });
  return { registry, calls };
}

const OCI = mediaTypes.ociManifest;

async function pushImage(repo: string, tag: string, opts: { layers?: number[]; mediaType?: string; annotations?: { [k: string]: string }; config?: object } = {}) {
  const { registry } = client();
  const config = opts.config
    ? content(new TextEncoder().encode(JSON.stringify(opts.config)), mediaTypes.ociConfig)
    : blob(200, mediaTypes.ociConfig);
  const layers = (opts.layers ?? [1000]).map((n) => blob(n));
  for (const b of [config, ...layers]) await registry.pushBlob(repo, b.descriptor, () => chunks(b.bytes));
  const bytes = manifestBytes(config.descriptor, layers.map((l) => l.descriptor), opts);
  const digest = await registry.putManifest(repo, tag, bytes, opts.mediaType ?? OCI);
  return { config, layers, bytes, digest };
}

test("a small blob goes up in one PUT, a large one in PATCH chunks, and both come back byte for byte", async () => {
  const { registry, calls } = client();
  const repo = `${reg.host}/pushpull/app`;
  const small = blob(10_000);
  const large = blob(100_000);
  const config = blob(300, mediaTypes.ociConfig);
  const progress: number[] = [];

  expect(await registry.pushBlob(repo, small.descriptor, () => chunks(small.bytes, 777))).toBe("pushed");
  const smallCalls = calls.splice(0).filter((c) => c.url.pathname.includes("/blobs/uploads/"));
  expect(smallCalls.map((c) => c.method)).toEqual(["POST", "PUT"]);
  expect(smallCalls[1]!.url.searchParams.get("digest")).toBe(small.descriptor.digest);

  expect(await registry.pushBlob(repo, large.descriptor, () => chunks(large.bytes, 5000), { progress: (n) => progress.push(n) })).toBe("pushed");
  const patches = calls.filter((c) => c.method === "PATCH");
  expect(patches.map((c) => c.headers.get("content-range"))).toEqual(
    [0, 1, 2, 3, 4, 5, 6].map((i) => `${i * 16384}-${Math.min((i + 1) * 16384, 100_000) - 1}`),
  );
  expect(calls.at(-1)!.method).toBe("PUT");
  expect(progress.at(-1)).toBe(100_000);
  expect(progress).toEqual([...progress].sort((a, b) => a - b));

  await registry.pushBlob(repo, config.descriptor, () => chunks(config.bytes));
  const bytes = manifestBytes(config.descriptor, [small.descriptor, large.descriptor]);
  const digest = await registry.putManifest(repo, "v1", bytes, OCI);

  for (const ref of [`${repo}:v1`, `${repo}@${digest}`]) {
    const { manifest, repository, index } = await registry.resolve(ref);
    expect(repository).toBe(repo);
    expect(index).toBeUndefined();
    expect(manifest.digest).toBe(digest);
    expect(manifest.mediaType).toBe(OCI);
    expect(manifest.bytes).toEqual(bytes);
    expect(manifest.config).toEqual(config.descriptor);
    expect(manifest.layers).toEqual([small.descriptor, large.descriptor]);
  }
  expect(await registry.fetchConfig(repo, config.descriptor)).toEqual(config.bytes);
  const seen: number[] = [];
  expect(await collect(await registry.fetchBlob(repo, large.descriptor, { progress: (n) => seen.push(n) }))).toEqual(large.bytes);
  expect(seen.at(-1)).toBe(100_000);
  expect(await collect(await registry.fetchBlob(repo, small.descriptor))).toEqual(small.bytes);
});

test("bytes that are not the descriptor's are an integrity error, in one PUT or in chunks, and the registry keeps nothing", async () => {
  // Deno's fetch says only "fetch failed" when a body fails, keeping the reason in `cause`.
  const denoLike = (async (input: string | URL, init?: RequestInit) => {
    try {
      return await fetch(input, init);
    } catch (cause) {
      throw new TypeError("fetch failed", { cause });
    }
  }) as typeof fetch;
  for (const { registry } of [client(), client({ fetch: denoLike, retry: { sleep: async () => {} } })]) {
    const repo = `${reg.host}/pushpull/lies`;
    for (const size of [10_000, 100_000]) {
      const b = blob(size);
      const flipped = b.bytes.slice();
      flipped[size - 1]! ^= 1;
      const err = await registry.pushBlob(repo, b.descriptor, () => chunks(flipped, 3000)).catch((e) => e);
      expect(err.code).toBe("integrity");
      expect(await registry.hasBlob(repo, b.descriptor.digest)).toBe(false);
      const longer = await registry.pushBlob(repo, b.descriptor, () => chunks(new Uint8Array(size + 1), 3000)).catch((e) => e);
      expect(longer.code).toBe("integrity");
    }
  }
});

test("a file longer than its descriptor is refused, and the file is closed", async () => {
  const { registry } = client();
  const dir = mkdtempSync(`${tmpdir()}/strata-push-`);
  try {
    const b = blob(20_000);
    writeFileSync(`${dir}/blob`, new Uint8Array(3 << 20));
    // Only this file's descriptors: the client's pooled sockets come and go.
    const open = () => readdirSync("/proc/self/fd").filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === `${dir}/blob`;
      } catch {
        return false;
      }
    }).length;
    const before = open();
    const err = await registry.pushBlob(`${reg.host}/pushpull/long`, b.descriptor, () => fileChunks(`${dir}/blob`)).catch((e) => e);
    expect(err.code).toBe("integrity");
    expect(open()).toBe(before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a blob in a local file goes up from the file, whole or in ranges, only once its bytes check out", async () => {
  const dir = mkdtempSync(`${tmpdir()}/strata-push-`);
  // Bodies as the fetch saw them: a file is sent as a Blob, never read through a stream.
  const bodies: string[] = [];
  const recording = ((input: string | URL, init?: RequestInit) => {
    const body = init?.body;
    const range = new Headers(init?.headers).get("content-range");
    if (body) bodies.push(`${init!.method} ${body instanceof Blob ? `file ${body.size}` : body instanceof ReadableStream ? "stream" : "bytes"}${range ? ` ${range}` : ""}`);
    return fetch(input, init);
  }) as typeof fetch;
  const { registry } = client({ fetch: recording, fileBody: sendFile });
  const unused = () => { throw new Error("opened the stream"); };
  try {
    const repo = `${reg.host}/pushpull/files`;
    for (const size of [10_000, 60_000]) {
      const b = blob(size);
      writeFileSync(`${dir}/${size}`, b.bytes);
      const progress: number[] = [];
      bodies.length = 0;
      expect(await registry.pushBlob(repo, b.descriptor, unused, { file: `${dir}/${size}`, progress: (n) => progress.push(n) })).toBe("pushed");
      expect(bodies).toEqual([`PUT file ${size}`]);
      expect(progress.at(-1)).toBe(size);
      expect(await collect(await registry.fetchBlob(repo, b.descriptor))).toEqual(b.bytes);
    }
    // Above 64 KiB this client sends 16 KiB chunks: each a range of the file.
    const big = blob(70_000);
    writeFileSync(`${dir}/big`, big.bytes);
    bodies.length = 0;
    expect(await registry.pushBlob(repo, big.descriptor, unused, { file: `${dir}/big` })).toBe("pushed");
    expect(bodies).toEqual([
      "PATCH file 16384 0-16383", "PATCH file 16384 16384-32767", "PATCH file 16384 32768-49151",
      "PATCH file 16384 49152-65535", "PATCH file 4464 65536-69999", "PUT bytes",
    ]);
    expect(await collect(await registry.fetchBlob(repo, big.descriptor))).toEqual(big.bytes);

    // A file that is not the blob: nothing of it goes up, whole or in part.
    for (const size of [10_000, 70_000]) {
      const b = blob(size);
      const flipped = b.bytes.slice();
      flipped[size - 1]! ^= 1;
      writeFileSync(`${dir}/wrong`, flipped);
      bodies.length = 0;
      const err = await registry.pushBlob(repo, b.descriptor, unused, { file: `${dir}/wrong` }).catch((e) => e);
      expect(err.code).toBe("integrity");
      expect(bodies.filter((x) => x.includes("file"))).toEqual([]);
      expect(await registry.hasBlob(repo, b.descriptor.digest)).toBe(false);
    }
    const gone = await registry.pushBlob(repo, blob(100).descriptor, unused, { file: `${dir}/none` }).catch((e) => e);
    expect(gone.code).toBe("missing_blob");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});


test("HEAD tells a blob the repository has from one it lacks, and a present blob is not sent again", async () => {
  const { registry, calls } = client();
  const repo = `${reg.host}/pushpull/head`;
  const b = blob(2000);
  expect(await registry.hasBlob(repo, b.descriptor.digest)).toBe(false);
  await registry.pushBlob(repo, b.descriptor, () => chunks(b.bytes));
  expect(await registry.hasBlob(repo, b.descriptor.digest)).toBe(true);
  calls.length = 0;
  expect(await registry.pushBlob(repo, b.descriptor, () => chunks(b.bytes))).toBe("exists");
  expect(calls.map((c) => c.method)).toEqual(["HEAD"]);
});

test("a blob is mounted across repositories; a refused mount leaves an upload session that carries the push", async () => {
  const { registry, calls } = client();
  const a = `${reg.host}/mount/a`;
  const b = blob(3000);
  await registry.pushBlob(a, b.descriptor, () => chunks(b.bytes));

  expect(await registry.mountBlob(`${reg.host}/mount/b`, a, b.descriptor.digest)).toEqual({ mounted: true });
  expect(await registry.hasBlob(`${reg.host}/mount/b`, b.descriptor.digest)).toBe(true);
  expect(await registry.pushBlob(`${reg.host}/mount/c`, b.descriptor, () => chunks(b.bytes), { mountFrom: [a] })).toBe("mounted");

  // Not in the source repository: the registry answers 202 and opens an upload instead.
  const other = blob(4000);
  const refused = await registry.mountBlob(`${reg.host}/mount/d`, a, other.descriptor.digest);
  if (refused.mounted) throw new Error("mounted a blob the source does not have");
  calls.length = 0;
  expect(await registry.pushBlob(`${reg.host}/mount/d`, other.descriptor, () => chunks(other.bytes), { session: refused.session })).toBe("pushed");
  expect(calls.some((c) => c.method === "POST")).toBe(false);
  expect(calls.find((c) => c.method === "PUT")!.url.href).toStartWith(refused.session.location.split("?")[0]!);
  expect(await collect(await registry.fetchBlob(`${reg.host}/mount/d`, other.descriptor))).toEqual(other.bytes);

  // The same through pushBlob's own fallback, and a cancelled session.
  const third = blob(500);
  expect(await registry.pushBlob(`${reg.host}/mount/e`, third.descriptor, () => chunks(third.bytes), { mountFrom: [a] })).toBe("pushed");
  const unused = await registry.mountBlob(`${reg.host}/mount/f`, a, blob(10).descriptor.digest);
  if (!unused.mounted) await unused.session.cancel();
});

test("tags are listed in pages of n=2, following Link", async () => {
  const repo = `${reg.host}/pushpull/tags`;
  const img = await pushImage(repo, "t1");
  const { registry } = client();
  for (const t of ["t2", "t3", "t4", "t5"]) await registry.putManifest(repo, t, img.bytes, OCI);
  // distribution 2.8 ignores n; the proxy pages the list the way the spec says.
  const proxy = startFaultProxy(reg.url);
  try {
    proxy.pageTags(true);
    const paged = client();
    expect(await paged.registry.listTags(`${proxy.host}/pushpull/tags`, { pageSize: 2 })).toEqual(["t1", "t2", "t3", "t4", "t5"]);
    const pages = paged.calls.filter((c) => c.url.pathname.endsWith("/tags/list"));
    expect(pages.map((p) => p.url.search)).toEqual(["?n=2", "?n=2&last=t2", "?n=2&last=t4"]);
  } finally {
    proxy.stop();
  }
  expect((await registry.listTags(repo)).sort()).toEqual(["t1", "t2", "t3", "t4", "t5"]);
  expect(await registry.listTags(`${reg.host}/pushpull/nothing-here`)).toEqual([]);
});

test("an index resolves to the host's platform, or to the one asked for", async () => {
  const repo = `${reg.host}/pushpull/multi`;
  const amd = await pushImage(repo, "amd64", { config: { architecture: "amd64", os: "linux" } });
  const arm = await pushImage(repo, "arm64", { config: { architecture: "arm64", os: "linux", variant: "v8" } });
  const entry = (img: { bytes: Uint8Array; digest: string }, architecture: string, variant?: string) => ({
    mediaType: OCI, digest: img.digest, size: img.bytes.length, platform: { os: "linux", architecture, ...(variant ? { variant } : {}) },
  });
  const index = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2, mediaType: mediaTypes.ociIndex,
    manifests: [entry(amd, "amd64"), entry(arm, "arm64", "v8")],
  }));
  const { registry } = client();
  const indexDigest = await registry.putManifest(repo, "multi", index, mediaTypes.ociIndex);

  const host = await registry.resolve(`${repo}:multi`);
  expect(host.index?.digest).toBe(indexDigest);
  expect(host.manifest.digest).toBe(hostPlatform().architecture === "arm64" ? arm.digest : amd.digest);
  expect((await registry.resolve(`${repo}:multi`, { platform: "linux/arm64" })).manifest.digest).toBe(arm.digest);
  expect((await registry.resolve(`${repo}@${indexDigest}`, { platform: { os: "linux", architecture: "amd64" } })).manifest.digest).toBe(amd.digest);
  await expect(registry.resolve(`${repo}:multi`, { platform: "linux/s390x" })).rejects.toMatchObject({ code: "not_found" });
  expect((await registry.fetchManifest(`${repo}:multi`)).kind).toBe("index");
});

test("a Docker schema 2 manifest resolves with its media type", async () => {
  const repo = `${reg.host}/pushpull/docker`;
  const img = await pushImage(repo, "v2", { mediaType: mediaTypes.dockerManifest });
  const { registry } = client();
  const { manifest } = await registry.resolve(`${repo}:v2`);
  expect(manifest.mediaType).toBe(mediaTypes.dockerManifest);
  expect(manifest.digest).toBe(img.digest);
  expect(manifest.layers.map((l) => l.digest)).toEqual(img.layers.map((l) => l.descriptor.digest));
});

test("a blob the registry lacks is missing_blob; a tag it lacks is not_found", async () => {
  const repo = `${reg.host}/pushpull/gone`;
  const img = await pushImage(repo, "v1");
  const { registry } = client();
  await expect(registry.fetchBlob(repo, blob(100).descriptor)).rejects.toMatchObject({ code: "missing_blob" });
  // Deleted after it was pushed (the test registry allows deletes).
  const layer = img.layers[0]!.descriptor;
  expect((await fetch(`${reg.url}/v2/pushpull/gone/blobs/${layer.digest}`, { method: "DELETE" })).status).toBe(202);
  await expect(registry.fetchBlob(repo, layer)).rejects.toMatchObject({ code: "missing_blob" });
  await expect(registry.resolve(`${repo}:nope`)).rejects.toMatchObject({ code: "not_found" });
});

test("tags with a prefix come with their creation time, and newest picks by it", async () => {
  const repo = `${reg.host}/pushpull/keys`;
  const created = "org.opencontainers.image.created";
  await pushImage(repo, "deps-a", { annotations: { [created]: "2026-01-02T00:00:00Z" } });
  const b = await pushImage(repo, "deps-b", { annotations: { [created]: "2026-03-01T00:00:00Z" } });
  await pushImage(repo, "deps-c");
  await pushImage(repo, "other", { annotations: { [created]: "2027-01-01T00:00:00Z" } });
  const { registry } = client();
  const infos = await registry.tagsWithPrefix(repo, "deps-");
  expect(infos.map((i) => i.tag).sort()).toEqual(["deps-a", "deps-b", "deps-c"]);
  expect(newest(infos)).toEqual({ tag: "deps-b", digest: b.digest, created: "2026-03-01T00:00:00Z" });
  expect(newest(await registry.tagsWithPrefix(repo, "none-"))).toBeUndefined();
});
