/**
 * System errors at the edges where they arise (issue 17): every source and target of
 * import and export, fed a missing file, a directory it may not read or write, and a
 * blob that vanishes between listing and reading, answers with one of SPEC §4's codes
 * and a message that names what was being read or written, never a raw `ENOENT:`.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { localContent } from "../../src/content/local.ts";
import { layerIO } from "../../src/layer/io.ts";
import { sys } from "../../src/runtime/bun/sys.ts";
import { ociLayout } from "../../src/transfer/oci-layout.ts";
import { cleanup, cli, cliCommand, ok, tempDir } from "../helpers/env.ts";
import { gnuTar } from "../helpers/tars.ts";

let dir: string;
let root: string;
beforeEach(() => {
  dir = tempDir();
  root = `${dir}/root`;
});
afterEach(() => cleanup(dir));

const raw = /\bE[A-Z]{3,}\b/;

async function drain(source: AsyncIterable<Uint8Array>) {
  for await (const _ of source) { /* read it all */ }
}

function layout() {
  fs.mkdirSync(`${dir}/tree`);
  fs.writeFileSync(`${dir}/tree/f`, "x");
  gnuTar(`${dir}/tree`, `${dir}/l.tgz`);
  const rec = ok(root, "import", `${dir}/l.tgz`);
  ok(root, "export", rec.id, "--output", `${dir}/layout`);
  return rec;
}

/** The CLI as `nobody`, who may not read or write what root made 0700. */
function asNobody(...args: string[]) {
  const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...cliCommand(), ...args]);
  return { code: r.exitCode, stderr: r.stderr.toString() };
}

test("missing: a file, a layout's index, a layout directory", () => {
  const cases: [string[], number, string][] = [
    [["import", `${dir}/nope.tgz`], 3, `file ${dir}/nope.tgz not found`],
    [["import", `oci:${dir}/nope`], 5, `OCI layout: ${dir}/nope has no oci-layout file`],
  ];
  fs.mkdirSync(`${dir}/half`);
  fs.writeFileSync(`${dir}/half/oci-layout`, "{}");
  cases.push([["import", `oci:${dir}/half`], 3, `OCI layout: cannot read ${dir}/half/index.json: does not exist`]);
  for (const [args, code, message] of cases) {
    const r = cli(root, ...args);
    expect(r.code).toBe(code);
    expect(r.stderr).toBe(`strata: ${message}\n`);
  }
});

test("no permission: reading a layer file or a layout, writing a layout", () => {
  const rec = layout();
  fs.mkdirSync(`${dir}/closed`, { mode: 0o700 });
  fs.copyFileSync(`${dir}/l.tgz`, `${dir}/closed/l.tgz`);
  fs.cpSync(`${dir}/layout`, `${dir}/closed/layout`, { recursive: true });
  fs.chmodSync(dir, 0o755);
  execFileSync("chown", ["-R", "nobody", root]);
  const cases: [string[], string][] = [
    [["import", `${dir}/closed/l.tgz`], `cannot read ${dir}/closed/l.tgz: permission denied`],
    [["import", `oci:${dir}/closed/layout`], `OCI layout: cannot read ${dir}/closed/layout/oci-layout: permission denied`],
    [["export", rec.id, "--output", `${dir}/closed/out`], `cannot write the OCI layout ${dir}/closed/out: permission denied`],
  ];
  for (const [args, message] of cases) {
    const r = asNobody("--root", root, ...args);
    expect(r.stderr).toBe(`strata: ${message}\n`);
    expect(r.code).toBe(1);
  }
});

test("vanished between listing and reading: a layout's blob, a stored blob", async () => {
  const rec = layout();
  const [layer] = ociLayout.layers(`oci:${dir}/layout`);
  fs.rmSync(`${dir}/layout/blobs/sha256/${rec.blob.digest.slice(7)}`);
  const e1 = await drain(layer!.open()).catch((err) => err);
  expect(e1).toMatchObject({ code: "missing_blob", message: `cannot read blob ${rec.blob.digest} of ${dir}/layout: does not exist` });

  const content = localContent(root, "test:1");
  const io = layerIO(content, sys);
  const stream = io.open(rec.blob.digest); // found when asked for...
  content.remove(rec.blob.digest); // ...gone when read
  const e2 = await drain(stream).catch((err) => err);
  expect(e2).toMatchObject({ code: "missing_blob" });
  expect(e2.message).toBe(`cannot read blob ${rec.blob.digest} from the content store: does not exist`);
  for (const e of [e1, e2]) expect(e.message).not.toMatch(raw);
});

test("a malformed layout is invalid (exit 5), one whose blob lies about its digest is integrity (exit 8), indexes nested too deep end", () => {
  layout();
  const L = `${dir}/layout`;
  const index = JSON.parse(fs.readFileSync(`${L}/index.json`, "utf8"));
  const put = (doc: unknown) => {
    const bytes = JSON.stringify(doc);
    const hex = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
    fs.writeFileSync(`${L}/blobs/sha256/${hex}`, bytes);
    return { mediaType: "application/vnd.oci.image.index.v1+json", digest: `sha256:${hex}`, size: bytes.length };
  };
  const cases: [unknown, number, RegExp][] = [
    [null, 5, /index\.json has no manifests list$/],
    [{ manifests: [null] }, 5, /an entry of manifests is not a descriptor/],
    [{ ...index, manifests: [{ ...index.manifests[0], digest: `sha256:${"0".repeat(64)}` }] }, 6, /cannot read .*: does not exist$/],
  ];
  // A manifest whose stored bytes are another's (its name kept, its content changed).
  const m = index.manifests[0];
  const real = fs.readFileSync(`${L}/blobs/sha256/${m.digest.slice(7)}`, "utf8");
  fs.writeFileSync(`${L}/blobs/sha256/${"f".repeat(64)}`, real.replace('"layers"', ' "layers"'));
  cases.push([{ manifests: [{ ...m, digest: `sha256:${"f".repeat(64)}` }] }, 8, /does not hash to sha256:f{64}$/]);
  // Indexes nested nine deep (an index cannot name itself by digest, but a chain can be long).
  let next = put({ schemaVersion: 2, manifests: [m] });
  for (let i = 0; i < 9; i++) next = put({ schemaVersion: 2, manifests: [next] });
  cases.push([{ manifests: [next] }, 5, /indexes nested more than 8 deep$/]);
  cases.push([{ manifests: [{ ...m, mediaType: "application/vnd.oci.image.manifest.v1+json" }], extra: 1 }, 0, /^$/]);
  for (const [doc, code, message] of cases) {
    fs.writeFileSync(`${L}/index.json`, JSON.stringify(doc));
    const r = cli(root, "import", `oci:${L}`);
    expect({ doc, code: r.code }).toEqual({ doc, code });
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.stderr).not.toMatch(raw);
  }
  expect(ok(root, "check").problems).toEqual([]);
});

test("a layout may name its manifest by sha512: checked as sha256 is (a lie is integrity, exit 8)", () => {
  layout();
  const L = `${dir}/layout`;
  const index = JSON.parse(fs.readFileSync(`${L}/index.json`, "utf8"));
  const m = index.manifests[0];
  const bytes = fs.readFileSync(`${L}/blobs/sha256/${m.digest.slice(7)}`, "utf8");
  const hex = new Bun.CryptoHasher("sha512").update(bytes).digest("hex");
  fs.mkdirSync(`${L}/blobs/sha512`);
  fs.writeFileSync(`${L}/blobs/sha512/${hex}`, bytes);
  fs.writeFileSync(`${L}/index.json`, JSON.stringify({ ...index, manifests: [{ ...m, digest: `sha512:${hex}` }] }));
  expect(cli(root, "import", `oci:${L}`).code).toBe(0);

  fs.writeFileSync(`${L}/blobs/sha512/${hex}`, bytes.replace('"layers"', ' "layers"'));
  const r = cli(root, "import", `oci:${L}`);
  expect(r.code).toBe(8);
  expect(r.stderr.trimEnd()).toMatch(new RegExp(`does not hash to sha512:${hex}$`));
  expect(ok(root, "check").problems).toEqual([]);
});
