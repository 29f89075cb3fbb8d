/**
 * Push and pull through a proxy that misbehaves on purpose (test/helpers/fault-proxy.ts),
 * by the CLI: a dropped connection resumes, 429 is waited out, a registry that keeps
 * failing ends in exit 10, wrong bytes in exit 8, a blob gone from under a lazy record in
 * exit 6; a failure leaves no record, no blob, no ingest and no snapshot behind.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { cleanup, cli, ok, tempDir } from "../helpers/env.ts";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import { content, manifestBytes, startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { cliAsync, okAsync, treeOf } from "../helpers/remote-cli.ts";

let reg: TestRegistry;
let proxy: FaultProxy;
let dir: string;
/** The image every test pulls: a 1 MiB layer that does not compress, and a small one on it. */
let image: { top: string; tree: { [path: string]: string }; big: string; small: string };
/** The root that made and pushed it. */
let origin: string;
beforeAll(async () => {
  reg = await startRegistry({ relativeUrls: true });
  const a = (origin = tempDir());
  const base = ok(a, "new");
  writeFileSync(`${base.path}/random.bin`, randomBytes(1 << 20));
  const one = ok(a, "commit", base.id);
  const next = ok(a, "new", "--parent", one.id);
  writeFileSync(`${next.path}/small`, "small\n");
  const two = ok(a, "commit", next.id);
  const pushed = ok(a, "push", two.id, `${reg.host}/faults/app:v1`);
  image = { top: two.id, tree: treeOf(ok(a, "path", two.id).path), big: pushed.layers[0].digest, small: pushed.layers[1].digest };
});
afterAll(async () => {
  cleanup(origin);
  await reg.stop();
});
beforeEach(() => {
  dir = tempDir();
  proxy = startFaultProxy(reg.url);
});
afterEach(() => {
  proxy.stop();
  cleanup(dir);
});

const source = () => `${proxy.host}/faults/app:v1`;
const blobPath = (digest: string) => new RegExp(`/blobs/${digest}$`);
const gets = (digest: string) => proxy.seen.filter((s) => s.method === "GET" && s.path.endsWith(digest));
const list = (path: string) => (existsSync(path) ? readdirSync(path) : []);

/** A root that a failed command left as it found it: empty. */
function nothingLeft(root: string) {
  expect(ok(root, "du").records).toEqual([]);
  expect(list(`${root}/content/blobs/sha256`)).toEqual([]);
  expect(list(`${root}/content/ingest`)).toEqual([]);
  expect(list(`${root}/snapshots`)).toEqual([]);
}

test("a connection dropped in the middle of a layer resumes with Range: in a pull, and at a lazy record's first use", async () => {
  const b = `${dir}/b`;
  proxy.dropBlobOnce("reset", blobPath(image.big));
  const top = await okAsync(b, ["pull", source()]);
  expect(treeOf(ok(b, "path", top.id).path)).toEqual(image.tree);
  const [first, resumed] = gets(image.big);
  expect(first!.range).toBeNull();
  expect(resumed).toMatchObject({ range: expect.stringMatching(/^bytes=[1-9]\d*-$/), status: 206 });

  const c = `${dir}/c`;
  const lazy = await okAsync(c, ["pull", "--lazy", source()]);
  proxy.seen.length = 0;
  proxy.dropBlobOnce("short", blobPath(image.big));
  expect(treeOf((await okAsync(c, ["path", lazy.id])).path)).toEqual(image.tree);
  expect(gets(image.big).map((g) => g.status)).toEqual([200, 206]);
  expect(ok(c, "check").problems).toEqual([]);
});

test("429 with Retry-After is waited out, then the pull goes through", async () => {
  const b = `${dir}/b`;
  proxy.tooMany(2, /^GET .*\/blobs\//);
  const top = await okAsync(b, ["pull", source()]);
  expect(top.chainID).toBe(ok(b, "info", top.id).chainID);
  expect(proxy.seen.filter((s) => s.status === 429).length).toBe(2);
  expect(treeOf(ok(b, "path", top.id).path)).toEqual(image.tree);
});

test("a registry that answers 500 forever: exit 10 after bounded retries, and nothing is left behind", async () => {
  // The first layer comes down and is extracted; the second never does.
  const b = `${dir}/b`;
  proxy.failForever(true, blobPath(image.small));
  const r = await cliAsync(b, ["pull", source()]);
  expect(r.code).toBe(10);
  expect(r.stderr).toContain("HTTP 500 UNKNOWN");
  expect(r.stderr).toContain("gave up after 5 attempts");
  expect(gets(image.big).length).toBe(1);
  expect(gets(image.small).length).toBe(5);
  nothingLeft(b);

  // A push whose uploads keep failing: exit 10, no manifest, and the root as it was.
  const a = `${dir}/a`;
  const m = ok(a, "new");
  writeFileSync(`${m.path}/f`, "push me\n");
  const rec = ok(a, "commit", m.id);
  ok(a, "export", rec.id);
  // What the root holds (a use of the record is counted, as any command that reads it does).
  const state = () => ({
    records: ok(a, "du").records.map((r: any) => ({ id: r.id, blob: r.blob, chainID: r.chainID, size: r.size })),
    blobs: list(`${a}/content/blobs/sha256`),
  });
  const before = state();
  proxy.failForever(true, /\/blobs\/uploads\//);
  proxy.seen.length = 0;
  const p = await cliAsync(a, ["--json", "push", rec.id, `${proxy.host}/faults/pushed:v1`]);
  expect(p.code).toBe(10);
  expect(JSON.parse(p.stderr).error).toMatchObject({ code: "remote_refused", message: expect.stringContaining("HTTP 500") });
  expect(p.stdout).toBe("");
  expect(proxy.seen.some((s) => s.method === "PUT" && s.path.includes("/manifests/"))).toBe(false);
  expect(state()).toEqual(before);
  proxy.failForever(false);
  expect((await okAsync(a, ["push", rec.id, `${proxy.host}/faults/pushed:v1`])).layers[0].action).toBe("pushed");
});

test("bytes that are not the blob's are exit 8 and nothing is kept: in a pull, and at a lazy record's first use", async () => {
  const b = `${dir}/b`;
  proxy.corruptBlobs(true, blobPath(image.big));
  const r = await cliAsync(b, ["pull", source()]);
  expect(r.code).toBe(8);
  nothingLeft(b);

  const c = `${dir}/c`;
  proxy.corruptBlobs(false);
  const lazy = await okAsync(c, ["pull", "--lazy", source()]);
  proxy.corruptBlobs(true, blobPath(image.small));
  const first = await cliAsync(c, ["--json", "path", lazy.id]);
  expect(first.code).toBe(8);
  expect(JSON.parse(first.stderr).error.code).toBe("integrity");
  expect(ok(c, "info", lazy.id).lazy).toBe(true);
  // The first layer is fine and stays extracted; the broken one left nothing.
  expect(list(`${c}/content/blobs/sha256`)).toEqual([image.big.slice(7)]);
  expect(list(`${c}/content/ingest`)).toEqual([]);
  proxy.corruptBlobs(false);
  expect(treeOf((await okAsync(c, ["path", lazy.id])).path)).toEqual(image.tree);
});

test("a remote blob deleted from under a lazy record is missing blob (exit 6) at first use; the record stays lazy", async () => {
  // A repository of its own (its blobs mounted from the first), so deleting there leaves the others whole.
  expect(ok(origin, "push", image.top, `${reg.host}/faults/deleted:v1`).layers.map((l: any) => l.action)).toEqual(["mounted", "mounted"]);
  const b = `${dir}/b`;
  const lazy = ok(b, "pull", "--lazy", `${reg.host}/faults/deleted:v1`);
  const gone = await fetch(`${reg.url}/v2/faults/deleted/blobs/${image.small}`, { method: "DELETE" });
  expect(gone.status).toBe(202);
  const r = cli(b, "path", lazy.id);
  expect(r.code).toBe(6);
  expect(r.stderr).toStartWith(`strata: blob ${image.small} of record ${lazy.id} is not in the content store and could not be fetched:`);
  expect(r.stderr).toContain("is not in the registry");
  expect(ok(b, "info", lazy.id).lazy).toBe(true);
  expect(list(`${b}/content/ingest`)).toEqual([]);
  // An export to a place without the blob needs it too.
  expect(cli(b, "export", lazy.id, "--output", `${dir}/layout`).code).toBe(6);
  // Still there in the first repository.
  expect(treeOf(ok(`${dir}/c`, "path", ok(`${dir}/c`, "pull", `${reg.host}/faults/app:v1`).id).path)).toEqual(image.tree);
});

test("a pull that fails keeps the records it found already there: an image whose config lies about a diffID", async () => {
  const c = `${dir}/c`;
  const first = await okAsync(c, ["pull", `${reg.host}/faults/app:v1`]);
  const before = ok(c, "du").records.map((r: any) => r.id).sort();
  // The same layers under a config whose second diffID is not the layer's.
  const m = await (await fetch(`${reg.url}/v2/faults/app/manifests/v1`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } })).json();
  const config = await (await fetch(`${reg.url}/v2/faults/app/blobs/${m.config.digest}`)).json();
  config.rootfs.diff_ids[1] = `sha256:${"1".repeat(64)}`;
  const lie = content(new TextEncoder().encode(JSON.stringify(config)), m.config.mediaType);
  const start = await fetch(`${reg.url}/v2/faults/app/blobs/uploads/`, { method: "POST" });
  const location = new URL(start.headers.get("location")!, reg.url);
  location.searchParams.set("digest", lie.descriptor.digest);
  expect((await fetch(location, { method: "PUT", body: lie.bytes })).status).toBe(201);
  const put = await fetch(`${reg.url}/v2/faults/app/manifests/liar`, {
    method: "PUT", headers: { "content-type": m.mediaType }, body: manifestBytes(lie.descriptor, m.layers),
  });
  expect(put.status).toBe(201);

  const r = await cliAsync(c, ["--json", "pull", `${reg.host}/faults/app:liar`]);
  expect(r.code).toBe(8);
  expect(JSON.parse(r.stderr).error.code).toBe("integrity");
  expect(ok(c, "du").records.map((r: any) => r.id).sort()).toEqual(before);
  expect(treeOf(ok(c, "path", first.id).path)).toEqual(image.tree);
  expect(ok(c, "check").problems).toEqual([]);
});
