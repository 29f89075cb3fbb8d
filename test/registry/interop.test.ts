/**
 * strata and the image tools agree through a registry: an image strata pushed is read by
 * `skopeo inspect`, and `skopeo copy` to an OCI layout that `umoci unpack` turns into the
 * tree strata has; an image skopeo pushed from a layout built by GNU tar (as an OCI or a
 * Docker schema 2 manifest) is pulled by strata into the tree umoci unpacks, with the
 * chain ID its diffIDs give.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { arch } from "node:os";
import { cleanup, ok, tempDir } from "../helpers/env.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { threeLayers, treeOf } from "../helpers/remote-cli.ts";

let reg: TestRegistry;
let dir: string;
beforeAll(async () => {
  reg = await startRegistry();
});
afterAll(() => reg.stop());
beforeEach(() => (dir = tempDir()));
afterEach(() => cleanup(dir));

function sh(cmd: string[], cwd = dir): string {
  const r = Bun.spawnSync(cmd, { cwd, stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout.toString();
}

const sha256 = (b: Uint8Array | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const ARCH: { [node: string]: string } = { x64: "amd64", arm64: "arm64" };

test("an image strata pushed is read by skopeo inspect, and copied by skopeo to a layout umoci unpacks to the same tree", () => {
  const a = `${dir}/a`;
  const [, , three] = threeLayers(a);
  const ref = `${reg.host}/interop/strata:v1`;
  const pushed = ok(a, "push", three!.id, ref, "--annotation", "org.example.note=hello");

  const inspect = JSON.parse(sh(["skopeo", "inspect", "--tls-verify=false", `docker://${ref}`]));
  expect(inspect.Digest).toBe(pushed.digest);
  expect(inspect.Layers).toEqual(pushed.layers.map((l: any) => l.digest));
  expect(inspect.Os).toBe("linux");
  expect(inspect.Architecture).toBe(ARCH[arch()] ?? arch());
  const raw = JSON.parse(sh(["skopeo", "inspect", "--raw", "--tls-verify=false", `docker://${ref}`]));
  expect(raw.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
  expect(raw.annotations).toMatchObject({ "org.example.note": "hello", "org.opencontainers.image.created": expect.any(String) });
  const config = JSON.parse(sh(["skopeo", "inspect", "--config", "--tls-verify=false", `docker://${ref}`]));
  const diffIDs: string[] = [];
  for (let r = ok(a, "info", three!.id); ; r = ok(a, "info", r.parents[0])) {
    diffIDs.unshift(r.blob.diffID);
    if (!r.parents.length) break;
  }
  expect(config.rootfs.diff_ids).toEqual(diffIDs);
  expect(config.history.map((h: any) => h.comment)).toEqual(["base: a tree", "second: changes and adds", "third: deletes"]);

  sh(["skopeo", "--insecure-policy", "copy", "--src-tls-verify=false", `docker://${ref}`, `oci:${dir}/copy:v1`]);
  sh(["umoci", "unpack", "--image", `${dir}/copy:v1`, `${dir}/bundle`]);
  expect(treeOf(`${dir}/bundle/rootfs`)).toEqual(treeOf(ok(a, "path", three!.id).path));
});

/** An OCI layout of two GNU tar layers (the second deletes a file by whiteout) tagged v1. */
function handMade(path: string) {
  const layer = (name: string, files: (root: string) => void) => {
    const root = `${dir}/${name}`;
    mkdirSync(root, { recursive: true });
    files(root);
    sh(["tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-cf", `${name}.tar`, "-C", root, "."]);
    sh(["gzip", "-n", "-k", `${name}.tar`]);
    const gz = readFileSync(`${dir}/${name}.tar.gz`);
    return { bytes: gz, digest: sha256(gz), size: gz.length, diffID: sha256(readFileSync(`${dir}/${name}.tar`)) };
  };
  const layers = [
    layer("one", (r) => {
      mkdirSync(`${r}/usr/share`, { recursive: true });
      writeFileSync(`${r}/usr/share/doc`, "documentation\n");
      writeFileSync(`${r}/old`, "to be whited out\n");
      symlinkSync("usr/share/doc", `${r}/doc`);
    }),
    layer("two", (r) => {
      writeFileSync(`${r}/.wh.old`, "");
      writeFileSync(`${r}/new`, "added\n");
    }),
  ];
  const put = (bytes: Uint8Array | string) => {
    const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    writeFileSync(`${path}/blobs/sha256/${sha256(b).slice(7)}`, b);
    return { digest: sha256(b), size: b.length };
  };
  mkdirSync(`${path}/blobs/sha256`, { recursive: true });
  for (const l of layers) put(l.bytes);
  const config = put(JSON.stringify({
    architecture: ARCH[arch()] ?? arch(), os: "linux", config: {},
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffID) },
    history: [{ created_by: "tar one" }, { created_by: "tar two" }],
  }));
  const manifest = put(JSON.stringify({
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: l.digest, size: l.size })),
  }));
  writeFileSync(`${path}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(`${path}/index.json`, JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "org.opencontainers.image.ref.name": "v1" } }],
  }));
  return layers;
}

test("an image skopeo pushed from a layout (OCI and Docker schema 2) is pulled by strata into the tree umoci unpacks", () => {
  const layers = handMade(`${dir}/layout`);
  sh(["umoci", "unpack", "--image", `${dir}/layout:v1`, `${dir}/bundle`]);
  const expected = treeOf(`${dir}/bundle/rootfs`);
  expect(Object.keys(expected)).not.toContain("old");
  const chainID = sha256(`${layers[0]!.diffID} ${layers[1]!.diffID}`);

  for (const format of ["oci", "v2s2"]) {
    const ref = `${reg.host}/interop/skopeo-${format}:v1`;
    sh(["skopeo", "--insecure-policy", "copy", "--format", format, "--dest-tls-verify=false", `oci:${dir}/layout:v1`, `docker://${ref}`]);
    const root = `${dir}/root-${format}`;
    const top = ok(root, "pull", ref);
    expect(top).toMatchObject({ chainID, exact: true, description: "tar two" });
    expect(top.blob.diffID).toBe(layers[1]!.diffID);
    expect(treeOf(ok(root, "path", top.id).path)).toEqual(expected);
    // Lazily too, in a root of its own.
    const lazy = ok(`${root}-lazy`, "pull", "--lazy", ref);
    expect(lazy).toMatchObject({ chainID, lazy: true });
    expect(treeOf(ok(`${root}-lazy`, "path", lazy.id).path)).toEqual(expected);
  }
}, 60_000);
