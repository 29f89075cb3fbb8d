/**
 * Other tools and this client agree: skopeo pushes an OCI layout built by hand (GNU tar
 * layers, gzip) and the client resolves it and fetches every blob with matching digests;
 * the client pushes an image (one layer in PATCH chunks) and skopeo reads it back byte
 * for byte.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRegistry } from "../../src/remote/client.ts";
import { hostPlatform, mediaTypes } from "../../src/remote/manifest.ts";
import { chunks, collect, content, startRegistry, type TestRegistry } from "../helpers/registry.ts";

let reg: TestRegistry;
let dir: string;
let image: ReturnType<typeof layout>;
beforeAll(async () => {
  reg = await startRegistry();
  dir = mkdtempSync(`${tmpdir()}/strata-interop-`);
  image = layout(`${dir}/layout`, "v1");
});
afterAll(async () => {
  await reg.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

function sh(cmd: string[], cwd = dir): string {
  const r = Bun.spawnSync(cmd, { cwd, stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout.toString();
}

/** A gzipped layer of a directory, reproducibly, and its diffID. */
function layer(name: string, files: (root: string) => void) {
  const root = `${dir}/${name}`;
  mkdirSync(root, { recursive: true });
  files(root);
  sh(["tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-cf", `${name}.tar`, "-C", root, "."]);
  sh(["gzip", "-n", "-k", `${name}.tar`]);
  const gz = new Uint8Array(readFileSync(`${dir}/${name}.tar.gz`));
  return { ...content(gz, "application/vnd.oci.image.layer.v1.tar+gzip"), diffID: sha256(readFileSync(`${dir}/${name}.tar`)) };
}

/** An OCI image layout holding one image tagged `tag`; returns its parts. */
function layout(path: string, tag: string) {
  const layers = [
    layer("base", (r) => {
      mkdirSync(`${r}/etc`);
      writeFileSync(`${r}/etc/motd`, "built by hand\n");
      symlinkSync("motd", `${r}/etc/motd.link`);
    }),
    // Random bytes do not compress: this layer is large enough to go up in chunks.
    layer("top", (r) => writeFileSync(`${r}/app.bin`, randomBytes(100_000))),
  ];
  const config = content(new TextEncoder().encode(JSON.stringify({
    ...hostPlatform(), config: {}, rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffID) },
    history: [{ created_by: "tar base" }, { created_by: "tar top" }],
  })), mediaTypes.ociConfig);
  const manifest = content(new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: config.descriptor, layers: layers.map((l) => l.descriptor),
  })), mediaTypes.ociManifest);
  mkdirSync(`${path}/blobs/sha256`, { recursive: true });
  for (const b of [config, manifest, ...layers]) writeFileSync(`${path}/blobs/sha256/${b.descriptor.digest.slice(7)}`, b.bytes);
  writeFileSync(`${path}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(`${path}/index.json`, JSON.stringify({
    schemaVersion: 2, manifests: [{ ...manifest.descriptor, annotations: { "org.opencontainers.image.ref.name": tag } }],
  }));
  return { layers, config, manifest };
}

test("an image skopeo pushed from an OCI layout resolves, and every blob fetches with its digest", async () => {
  sh(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false", `oci:${dir}/layout:v1`, `docker://${reg.host}/interop/skopeo:v1`]);

  const registry = createRegistry();
  const { manifest, repository } = await registry.resolve(`${reg.host}/interop/skopeo:v1`);
  expect(manifest.config.digest).toBe(image.config.descriptor.digest);
  expect(manifest.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.descriptor.digest));
  const config = JSON.parse(new TextDecoder().decode(await registry.fetchConfig(repository, manifest.config)));
  expect(config.rootfs.diff_ids).toEqual(image.layers.map((l) => l.diffID));
  for (const [i, l] of manifest.layers.entries()) {
    expect(await collect(await registry.fetchBlob(repository, l))).toEqual(image.layers[i]!.bytes);
  }
});

test("an image the client pushed is read back by skopeo byte for byte", async () => {
  const registry = createRegistry({ sizes: { monolithicMax: 32 << 10, chunkSize: 32 << 10 } });
  const repo = `${reg.host}/interop/ours`;
  for (const b of [...image.layers, image.config]) expect(await registry.pushBlob(repo, b.descriptor, () => chunks(b.bytes))).toBe("pushed");
  const digest = await registry.putManifest(repo, "v1", image.manifest.bytes, mediaTypes.ociManifest);

  const raw = sh(["skopeo", "inspect", "--raw", "--tls-verify=false", `docker://${repo}:v1`]);
  expect(raw).toBe(new TextDecoder().decode(image.manifest.bytes));
  sh(["skopeo", "--insecure-policy", "copy", "--src-tls-verify=false", `docker://${repo}:v1`, `oci:${dir}/back:v1`]);
  const index = JSON.parse(readFileSync(`${dir}/back/index.json`, "utf8"));
  expect(index.manifests[0].digest).toBe(digest);
  for (const l of image.layers) {
    expect(sha256(readFileSync(`${dir}/back/blobs/sha256/${l.descriptor.digest.slice(7)}`))).toBe(l.descriptor.digest);
  }
}, 60_000);
