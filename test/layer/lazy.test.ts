/**
 * Lazy chains (SPEC §1, §3.1, §3.6): a lazy layer on a lazy parent keeps the whole chain
 * blob-only, as BuildKit's TestSnapshotExtract demands, until a tree is needed; then the
 * chain is extracted at once, in order. A layer whose blob is absent is *missing blob*.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cleanup, cli, ok, tempDir } from "../helpers/env.ts";
import { gnuTar } from "../helpers/tars.ts";

let dir: string;
let root: string;
beforeEach(() => {
  dir = tempDir();
  root = `${dir}/root`;
});
afterEach(() => cleanup(dir));

const snapshots = () => readdirSync(`${root}/snapshots`);
const blobs = () => readdirSync(`${root}/content/blobs/sha256`);

/** Two layers: the second changes a file, adds one and deletes one of the first. */
function twoLayers() {
  mkdirSync(`${dir}/one`);
  writeFileSync(`${dir}/one/kept`, "one");
  writeFileSync(`${dir}/one/changed`, "one");
  writeFileSync(`${dir}/one/deleted`, "one");
  gnuTar(`${dir}/one`, `${dir}/one.tgz`);
  mkdirSync(`${dir}/two`);
  writeFileSync(`${dir}/two/changed`, "two");
  writeFileSync(`${dir}/two/added`, "two");
  writeFileSync(`${dir}/two/.wh.deleted`, "");
  gnuTar(`${dir}/two`, `${dir}/two.tgz`);
}

/** An OCI layout of the two layers, made by strata from a root of its own. */
function layoutOfTwo(out: string) {
  const other = `${dir}/other`;
  const a = ok(other, "import", `${dir}/one.tgz`);
  const b = ok(other, "import", `${dir}/two.tgz`, "--parent", a.id);
  ok(other, "export", b.id, "--output", out, "--tag", "v1");
  return { a, b };
}

test("a lazy layer on a lazy parent extracts nothing; the first use extracts the chain, in order", () => {
  twoLayers();
  const a = ok(root, "import", `${dir}/one.tgz`, "--lazy");
  const b = ok(root, "import", `${dir}/two.tgz`, "--lazy", "--parent", a.id);
  expect(b).toMatchObject({ lazy: true, parents: [a.id], kind: "layer" });
  expect(ok(root, "info", a.id).lazy).toBe(true);
  expect(snapshots()).toEqual([]);
  expect(blobs()).toHaveLength(2);

  const tree = ok(root, "path", b.id).path;
  expect(readdirSync(tree).sort()).toEqual(["added", "changed", "kept"]);
  expect(readFileSync(`${tree}/changed`, "utf8")).toBe("two");
  expect(ok(root, "info", a.id).lazy).toBe(false);
  expect(ok(root, "info", b.id).lazy).toBe(false);
  expect(readdirSync(ok(root, "path", a.id).path).sort()).toEqual(["changed", "deleted", "kept"]);
});

test("import oci:DIR --lazy of a two-layer image touches no layer; the same chain imported again is the same record", () => {
  twoLayers();
  const made = layoutOfTwo(`${dir}/layout`);
  const top = ok(root, "import", `oci:${dir}/layout:v1`, "--lazy");
  expect(top).toMatchObject({ lazy: true, chainID: made.b.chainID, blobChainID: made.b.blobChainID });
  expect(ok(root, "info", top.parents[0]).lazy).toBe(true);
  expect(snapshots()).toEqual([]);
  expect(ok(root, "import", `oci:${dir}/layout:v1`, "--lazy").id).toBe(top.id);
  // A child needs the tree: the whole chain is extracted for it.
  const child = ok(root, "new", "--parent", top.id);
  expect(readdirSync(child.path).sort()).toEqual(["added", "changed", "kept"]);
});

test("a layout whose manifest names an absent blob is missing blob (exit 6), named, with nothing kept", () => {
  twoLayers();
  const made = layoutOfTwo(`${dir}/layout`);
  const gone = made.b.blob.digest as string;
  rmSync(`${dir}/layout/blobs/sha256/${gone.slice(7)}`);
  for (const args of [[], ["--lazy"]]) {
    for (const where of [root, `${dir}/fresh-${args.length}`]) {
      const r = cli(where, "import", `oci:${dir}/layout:v1`, ...args);
      expect(r.code).toBe(6);
      expect(r.stderr).toBe(`strata: blob ${gone} of the image in ${dir}/layout is not in its blobs directory\n`);
      const j = cli(where, "--json", "import", `oci:${dir}/layout:v1`, ...args);
      expect(JSON.parse(j.stderr).error.code).toBe("missing_blob");
      expect(ok(where, "du").records).toEqual([]);
      expect(readdirSync(`${where}/content/blobs/sha256`)).toEqual([]);
      expect(readdirSync(`${where}/content/ingest`)).toEqual([]);
      expect(readdirSync(`${where}/snapshots`)).toEqual([]);
    }
  }
});
