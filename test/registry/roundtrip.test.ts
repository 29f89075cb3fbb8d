/**
 * Records through a real registry (distribution 2.8 on loopback), through the CLI: what
 * one root pushes, another root (another machine) pulls as the same tree with the same
 * chain IDs. A recording proxy in front of the registry shows what went over the wire:
 * nothing for a second push, mounts across repositories, no layer at all for a lazy pull
 * or for pushing a lazy record back to its registry.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { startDaemon } from "../helpers/daemon.ts";
import { cleanup, cli, ok, tempDir } from "../helpers/env.ts";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { cliAsync, okAsync, threeLayers, treeOf } from "../helpers/remote-cli.ts";

let reg: TestRegistry;
let proxy: FaultProxy;
let dir: string;
beforeAll(async () => {
  reg = await startRegistry({ relativeUrls: true });
  proxy = startFaultProxy(reg.url);
});
afterAll(async () => {
  proxy.stop();
  await reg.stop();
});
beforeEach(() => {
  dir = tempDir();
  proxy.seen.length = 0;
});
afterEach(() => cleanup(dir));

const blobsIn = (root: string) => (existsSync(`${root}/content/blobs/sha256`) ? readdirSync(`${root}/content/blobs/sha256`) : []);
const snapshotsIn = (root: string) => (existsSync(`${root}/snapshots`) ? readdirSync(`${root}/snapshots`) : []);
/** Requests that carried blob bytes up: upload steps other than a mount. */
const uploads = () => proxy.seen.filter((s) => (s.method === "PATCH" || s.method === "PUT") && s.path.includes("/blobs/"));
const gets = (digests: string[]) => proxy.seen.filter((s) => s.method === "GET" && digests.some((d) => s.path.endsWith(d)));

/** The chain under a record, root first, as `info` shows each. */
function chain(root: string, id: string): any[] {
  const out = [];
  for (let r = ok(root, "info", id); ; r = ok(root, "info", r.parents[0])) {
    out.unshift(r);
    if (!r.parents.length) return out;
  }
}

test("a chain of three layers pushed from one root is pulled into another: the same tree, chain IDs and descriptions", () => {
  const a = `${dir}/a`, b = `${dir}/b`;
  const [, , three] = threeLayers(a);
  const pushed = ok(a, "push", three!.id, `${reg.host}/rt/chain:v1`);
  expect(pushed.target).toBe(`${reg.host}/rt/chain:v1`);
  expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(pushed.layers.map((l: any) => l.action)).toEqual(["pushed", "pushed", "pushed"]);

  const top = ok(b, "pull", `${reg.host}/rt/chain:v1`);
  expect(top).toMatchObject({ source: `${reg.host}/rt/chain:v1`, exact: true, lazy: false, kind: "layer" });
  const theirs = chain(a, three!.id), ours = chain(b, top.id);
  expect(ours.map((r) => r.chainID)).toEqual(theirs.map((r) => r.chainID));
  expect(ours.map((r) => r.blobChainID)).toEqual(theirs.map((r) => r.blobChainID));
  expect(ours.map((r) => r.description)).toEqual(["base: a tree", "second: changes and adds", "third: deletes"]);
  expect(ours.map((r) => r.blob.digest)).toEqual(pushed.layers.map((l: any) => l.digest));
  const tree = treeOf(ok(b, "path", top.id).path);
  expect(tree).toEqual(treeOf(ok(a, "path", three!.id).path));
  expect(Object.keys(tree)).not.toContain("deleted");
  expect(Object.keys(tree)).not.toContain("gone");

  // The same blob chain again is the same record, with nothing new on disk.
  const before = snapshotsIn(b).length;
  expect(ok(b, "pull", `${reg.host}/rt/chain:v1`).id).toBe(top.id);
  expect(ok(b, "pull", `${reg.host}/rt/chain@${pushed.digest}`)).toMatchObject({ id: top.id, source: `${reg.host}/rt/chain@${pushed.digest}` });
  expect(snapshotsIn(b).length).toBe(before);
  expect(ok(b, "check").problems).toEqual([]);
});

test("pull --lazy reads no layer; the first path fetches, verifies and extracts the chain", async () => {
  const a = `${dir}/a`, b = `${dir}/b`;
  const [, , three] = threeLayers(a);
  const layers = ok(a, "push", three!.id, `${reg.host}/rt/lazy:v1`).layers.map((l: any) => l.digest);

  const top = await okAsync(b, ["pull", "--lazy", `${proxy.host}/rt/lazy:v1`]);
  expect(top).toMatchObject({ lazy: true, exact: true, size: 0 });
  expect(gets(layers)).toEqual([]);
  expect(blobsIn(b)).toEqual([]);
  expect(snapshotsIn(b)).toEqual([]);
  expect(chain(b, top.id).map((r) => r.lazy)).toEqual([true, true, true]);

  const path = (await okAsync(b, ["path", top.id])).path;
  expect(treeOf(path)).toEqual(treeOf(ok(a, "path", three!.id).path));
  expect(gets(layers).map((g) => g.status)).toEqual([200, 200, 200]);
  expect(chain(b, top.id).map((r) => r.lazy)).toEqual([false, false, false]);
  expect(blobsIn(b).sort()).toEqual(layers.map((d: string) => d.slice(7)).sort());
  expect(ok(b, "check").problems).toEqual([]);
});

test("two processes using one lazy record at once fetch each blob once, and both get the tree", async () => {
  const a = `${dir}/a`, b = `${dir}/b`;
  const [, , three] = threeLayers(a);
  const layers = ok(a, "push", three!.id, `${reg.host}/rt/twice-used:v1`).layers.map((l: any) => l.digest);
  const top = await okAsync(b, ["pull", "--lazy", `${proxy.host}/rt/twice-used:v1`]);
  const [x, y] = await Promise.all([okAsync(b, ["path", top.id]), okAsync(b, ["new", "--parent", top.id])]);
  expect(x.path).toBe(ok(b, "path", top.id).path);
  expect(treeOf(y.path)).toEqual(treeOf(x.path));
  expect(treeOf(x.path)).toEqual(treeOf(ok(a, "path", three!.id).path));
  for (const l of layers) expect(gets([l]).length).toBe(1);
});

test("pushing a record again sends no blob; another repository of the same registry mounts every one", async () => {
  const a = `${dir}/a`;
  const [, , three] = threeLayers(a);
  const first = await okAsync(a, ["push", three!.id, `${proxy.host}/rt/twice:v1`]);
  expect(first.layers.map((l: any) => l.action)).toEqual(["pushed", "pushed", "pushed"]);
  expect(uploads().length).toBeGreaterThan(0);

  proxy.seen.length = 0;
  const again = await okAsync(a, ["push", three!.id, `${proxy.host}/rt/twice:v2`]);
  expect(again.layers).toEqual(first.layers.map((l: any) => ({ ...l, action: "exists" })));
  expect(uploads()).toEqual([]);
  expect(proxy.seen.filter((s) => s.method === "POST")).toEqual([]);
  expect(proxy.seen.filter((s) => s.method === "PUT").map((s) => s.path)).toEqual(["/v2/rt/twice/manifests/v2"]);

  proxy.seen.length = 0;
  const elsewhere = await okAsync(a, ["push", three!.id, `${proxy.host}/rt/elsewhere:v1`]);
  expect(elsewhere.layers.map((l: any) => l.action)).toEqual(["mounted", "mounted", "mounted"]);
  // The config is mounted too: not one byte of a blob went up again.
  expect(uploads()).toEqual([]);
  expect(proxy.seen.filter((s) => s.method === "POST").every((s) => s.status === 201)).toBe(true);
  const pulled = await okAsync(`${dir}/b`, ["pull", `${proxy.host}/rt/elsewhere:v1`]);
  expect(treeOf(ok(`${dir}/b`, "path", pulled.id).path)).toEqual(treeOf(ok(a, "path", three!.id).path));
});

test("a lazy record goes back to its registry without being downloaded, and an export elsewhere fetches it", async () => {
  const a = `${dir}/a`, c = `${dir}/c`;
  const [, , three] = threeLayers(a);
  const layers = (await okAsync(a, ["push", three!.id, `${proxy.host}/rt/origin:v1`])).layers.map((l: any) => l.digest);
  const top = await okAsync(c, ["pull", "--lazy", `${proxy.host}/rt/origin:v1`]);

  proxy.seen.length = 0;
  const back = await okAsync(c, ["push", top.id, `${proxy.host}/rt/origin:again`]);
  expect(back.layers.map((l: any) => l.action)).toEqual(["exists", "exists", "exists"]);
  const copy = await okAsync(c, ["push", top.id, `${proxy.host}/rt/copy:v1`]);
  expect(copy.layers.map((l: any) => l.action)).toEqual(["mounted", "mounted", "mounted"]);
  expect(copy.layers.map((l: any) => l.digest)).toEqual(layers);
  expect(gets(layers)).toEqual([]);
  expect(blobsIn(c)).toEqual([]);
  expect(ok(c, "info", top.id).lazy).toBe(true);

  // The copy is a whole image: another root pulls it.
  const d = await okAsync(`${dir}/d`, ["pull", `${proxy.host}/rt/copy:v1`]);
  expect(treeOf(ok(`${dir}/d`, "path", d.id).path)).toEqual(treeOf(ok(a, "path", three!.id).path));

  // An OCI layout is a place without the blobs: exporting there fetches them.
  proxy.seen.length = 0;
  const out = await okAsync(c, ["export", top.id, "--output", `${dir}/layout`]);
  expect(out.layers.map((l: any) => l.digest)).toEqual(layers);
  expect(gets(layers).length).toBe(3);
  for (const l of layers) expect(existsSync(`${dir}/layout/blobs/sha256/${l.slice(7)}`)).toBe(true);
});

test("the same content pulled under another compression shares the extracted snapshot", () => {
  const a = `${dir}/a`, b = `${dir}/b`;
  const [one] = threeLayers(a);
  ok(a, "push", one!.id, `${reg.host}/rt/gzip:v1`);
  const zstd = ok(a, "push", one!.id, `${reg.host}/rt/zstd:v1`, "--compression", "zstd");
  expect(zstd.layers.map((l: any) => l.action)).toEqual(["pushed"]);
  const gz = ok(b, "pull", `${reg.host}/rt/gzip:v1`);
  const zs = ok(b, "pull", `${reg.host}/rt/zstd:v1`);
  expect(zs.id).not.toBe(gz.id);
  expect(zs.chainID).toBe(gz.chainID);
  expect(zs.blob.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+zstd");
  expect(ok(b, "path", zs.id).path).toBe(ok(b, "path", gz.id).path);
  expect(snapshotsIn(b).length).toBe(1);
});

test("--restore-prefix falls back to the newest tag with the prefix; none matching is a cache miss (exit 7)", () => {
  const a = `${dir}/a`, b = `${dir}/b`;
  const [one, two, three] = threeLayers(a);
  const created = (t: string) => ["--annotation", `org.opencontainers.image.created=${t}`];
  const repo = `${reg.host}/rt/keys`;
  ok(a, "push", three!.id, `${repo}:deps-old`, ...created("2026-01-01T00:00:00Z"));
  ok(a, "push", two!.id, `${repo}:deps-new`, ...created("2026-02-01T00:00:00Z"));
  ok(a, "push", one!.id, `${repo}:other`, ...created("2026-03-01T00:00:00Z"));

  const hit = ok(b, "pull", `${repo}:deps-abc`, "--restore-prefix", "nothing-", "--restore-prefix", "deps-");
  expect(hit).toMatchObject({ exact: false, source: `${repo}:deps-new`, chainID: ok(a, "info", two!.id).chainID });
  expect(cli(b, "pull", `${repo}:deps-abc`, "--restore-prefix", "deps-").stdout).toBe(`${hit.id}\t${repo}:deps-new (restored)\n`);

  const miss = cli(b, "pull", `${repo}:deps-abc`);
  expect(miss.code).toBe(7);
  expect(miss.stderr).toBe(`strata: tag deps-abc not found in ${repo}\n`);
  const none = cli(b, "--json", "pull", `${repo}:deps-abc`, "--restore-prefix", "zzz-");
  expect(none.code).toBe(7);
  expect(JSON.parse(none.stderr).error.code).toBe("key_not_found");
  expect(cli(b, "pull", `${reg.host}/rt/never-pushed:v1`, "--restore-prefix", "v").code).toBe(7);
});

test("an index picks the host's platform, or the one --platform names; none for it is not found (exit 3)", async () => {
  const a = `${dir}/a`, b = `${dir}/b`;
  const [one] = threeLayers(a);
  const pushed = ok(a, "push", one!.id, `${reg.host}/rt/multi:single`);
  const manifest = await fetch(`${reg.url}/v2/rt/multi/manifests/single`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
  const bytes = new Uint8Array(await manifest.arrayBuffer());
  const entry = (architecture: string) => ({
    mediaType: "application/vnd.oci.image.manifest.v1+json", digest: pushed.digest, size: bytes.length, platform: { os: "linux", architecture },
  });
  const host = ({ x64: "amd64", arm64: "arm64" } as { [k: string]: string })[process.arch] ?? process.arch;
  const index = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [entry("s390x"), entry(host)] });
  const put = await fetch(`${reg.url}/v2/rt/multi/manifests/v1`, {
    method: "PUT", headers: { "content-type": "application/vnd.oci.image.index.v1+json" }, body: index,
  });
  expect(put.status).toBe(201);
  expect(ok(b, "pull", `${reg.host}/rt/multi:v1`).chainID).toBe(ok(a, "info", one!.id).chainID);
  expect(ok(b, "pull", `${reg.host}/rt/multi:v1`, "--platform", "linux/s390x").chainID).toBe(ok(a, "info", one!.id).chainID);
  const none = cli(b, "pull", `${reg.host}/rt/multi:v1`, "--platform", "linux/riscv64");
  expect(none.code).toBe(3);
  expect(none.stderr).toContain("linux/riscv64");
});

test("bad references, targets and platforms are usage errors", () => {
  const a = `${dir}/a`;
  const [one] = threeLayers(a);
  expect(cli(a, "push", one!.id, `${reg.host}/rt/x@sha256:${"0".repeat(64)}`).code).toBe(2);
  expect(cli(a, "push", one!.id, `${reg.host}/Upper/case:v1`).code).toBe(2);
  expect(cli(a, "pull", `${reg.host}/rt/x:bad tag`).code).toBe(2);
  expect(cli(a, "pull", `${reg.host}/rt/x:v1`, "--platform", "linux").code).toBe(2);
  expect(cli(a, "push", one!.id).code).toBe(2);
  expect(cli(a, "push", one!.id, `${reg.host}/rt/x:v1`, "--annotation", "no-equals").code).toBe(2);
});

test("pushing a record that does not exist is not found (exit 3) even with the registry down; a real one then is exit 10", () => {
  const a = `${dir}/a`;
  const [one] = threeLayers(a);
  // Nothing listens on port 1 of loopback: every connection is refused at once.
  const nobody = "0".repeat(25);
  const missing = cli(a, "push", nobody, "127.0.0.1:1/rt/x:v1");
  expect([missing.code, missing.stderr.trim()]).toEqual([3, expect.stringContaining(nobody)]);
  const down = cli(a, "push", one!.id, "127.0.0.1:1/rt/x:v1");
  expect(down.code).toBe(10);
  expect(down.stderr.trim().split("\n")).toHaveLength(1);
});

test("through strata serve: POST /v1/pull and /v1/push answer NDJSON progress lines, then the result", async () => {
  const a = `${dir}/a`, root = `${dir}/daemon`;
  const [, , three] = threeLayers(a);
  ok(a, "push", three!.id, `${reg.host}/rt/daemon:v1`);
  const d = await startDaemon(root, { gc: { enabled: false } });
  try {
    const res = await d.unix("/v1/pull", { method: "POST", body: JSON.stringify({ source: `${reg.host}/rt/daemon:v1` }) });
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    const result = lines.pop();
    expect(result).toMatchObject({ source: `${reg.host}/rt/daemon:v1`, exact: true, lazy: false, chainID: ok(a, "info", three!.id).chainID });
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l.progress).toEqual({ blob: expect.stringMatching(/^sha256:/), bytes: expect.any(Number), size: expect.any(Number) });

    // The CLI finds the daemon by its socket and prints one JSON document: the result.
    const pushed = cli(root, "--json", "push", result.id, `${reg.host}/rt/daemon:again`);
    expect(pushed.code).toBe(0);
    expect(pushed.json).toMatchObject({ target: `${reg.host}/rt/daemon:again`, layers: [{ action: "exists" }, { action: "exists" }, { action: "exists" }] });
    const raw = await d.unix("/v1/push", { method: "POST", body: JSON.stringify({ ref: result.id, target: `${reg.host}/rt/daemon:third` }) });
    expect(JSON.parse((await raw.text()).trim().split("\n").at(-1)!).target).toBe(`${reg.host}/rt/daemon:third`);
    const bad = await d.unix("/v1/pull", { method: "POST", body: JSON.stringify({ source: `${reg.host}/rt/daemon:nope` }) });
    expect(bad.status).toBe(404);
    expect((await bad.json()).error.code).toBe("key_not_found");
    expect((await cliAsync(root, ["pull", `${reg.host}/rt/daemon:nope`])).code).toBe(7);
  } finally {
    await d.stop();
  }
});
