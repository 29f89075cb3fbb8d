/**
 * A registry on TLS with a private CA: trusted through `--ca-file` (the runtime's
 * `fetchTrusting`, Bun's here and Deno's in a child process), and without it a failure
 * that is one line naming the TLS problem and the flag that fixes it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { createRegistry } from "../../src/remote/client.ts";
import { mediaTypes } from "../../src/remote/manifest.ts";
import { fetchTrusting } from "../../src/runtime/bun/fetch.ts";
import { blob, chunks, collect, manifestBytes, startRegistry, type TestRegistry } from "../helpers/registry.ts";

const root = new URL("../..", import.meta.url).pathname;
const deno = `${root}node_modules/.bin/deno`;
const quick = { sleep: async () => {} };

let reg: TestRegistry;
const layer = blob(50_000);
const config = blob(300, mediaTypes.ociConfig);
let digest = "";

beforeAll(async () => {
  reg = await startRegistry({ mode: "tls" });
  const registry = createRegistry({ fetch: fetchTrusting(reg.caFile) });
  const repo = `${reg.host}/tls/app`;
  for (const b of [layer, config]) await registry.pushBlob(repo, b.descriptor, () => chunks(b.bytes));
  digest = await registry.putManifest(repo, "v1", manifestBytes(config.descriptor, [layer.descriptor]), mediaTypes.ociManifest);
});
afterAll(() => reg.stop());

test("with the CA file the client speaks HTTPS to the registry: only the probe of a loopback address asks plain HTTP first", async () => {
  const urls: string[] = [];
  const trusting = fetchTrusting(reg.caFile);
  const registry = createRegistry({ fetch: ((input: string | URL, init?: RequestInit) => (urls.push(String(input)), trusting(input, init))) as typeof fetch });
  const repo = `${reg.host}/tls/app`;
  const other = blob(20_000);
  expect(await registry.pushBlob(repo, other.descriptor, () => chunks(other.bytes))).toBe("pushed");
  const { manifest } = await registry.resolve(`${repo}:v1`);
  expect(manifest.digest).toBe(digest);
  expect(await collect(await registry.fetchBlob(repo, layer.descriptor))).toEqual(layer.bytes);
  expect(urls.length).toBeGreaterThan(5);
  // The TLS port's 400 to that probe is not taken for a registry (transport.ts).
  expect(urls.filter((u) => !u.startsWith("https://"))).toEqual([`http://${reg.host}/v2/`]);
});

test("without it the failure is one line: remote_refused, the TLS reason, the flag to use", async () => {
  for (const fetcher of [fetchTrusting(), undefined]) {
    const err = await createRegistry({ fetch: fetcher, retry: quick }).resolve(`${reg.host}/tls/app:v1`).catch((e) => e);
    expect(err.code).toBe("remote_refused");
    expect(err.message).toMatch(/verify|certificate/);
    expect(err.message).toContain("--ca-file");
    expect(err.message).not.toContain("\n");
  }
});

test("a CA file that is missing or holds no certificate is a usage error", () => {
  expect(() => fetchTrusting(`${reg.dir}/absent.pem`)).toThrow(expect.objectContaining({ code: "usage" }));
  writeFileSync(`${reg.dir}/junk.pem`, "not a certificate");
  expect(() => fetchTrusting(`${reg.dir}/junk.pem`)).toThrow(expect.objectContaining({ code: "usage" }));
});

test("Deno's fetchTrusting trusts the same CA file, and refuses without it", () => {
  const run = (...args: string[]) => {
    const r = Bun.spawnSync([deno, "run", "-A", `${root}test/deno/remote.ts`, ...args], { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
    return { code: r.exitCode, out: JSON.parse(r.stdout.toString() || "null"), err: r.stderr.toString() };
  };
  const ok = run(`${reg.host}/tls/app:v1`, reg.caFile!);
  expect(ok.err).toBe("");
  expect(ok.code).toBe(0);
  expect(ok.out).toEqual({
    digest,
    mediaType: mediaTypes.ociManifest,
    blobs: [config.descriptor, layer.descriptor].map((d) => ({ digest: d.digest, size: d.size })),
  });
  const refused = run(`${reg.host}/tls/app:v1`);
  expect(refused.code).toBe(1);
  expect(refused.out.error.code).toBe("remote_refused");
  expect(refused.out.error.message).toContain("invalid peer certificate");
  expect(refused.out.error.message).toContain("--ca-file");
}, 60_000);
