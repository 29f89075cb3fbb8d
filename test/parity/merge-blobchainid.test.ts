/**
 * Replays BuildKit's TestMergeBlobchainID: a merge of three lazy three-layer chains has a
 * blob chain of its own (the nine layers, the first input's chain extended by the others'
 * layers), not one of its inputs'; importing those nine blobs one on another finds the merge.
 *
 * strata differs: BuildKit computes a merge's chain IDs only when its remotes are asked for;
 * here they are read after `export`, which is that request. The blobs are local, not remote.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  blobChainOf, blobs, byId, chainOf, cleanup, type Fresh, du, fresh, type Layer, layer, ok, snapshotDirs,
} from "./helpers.ts";

let t: Fresh;
let layers: Layer[][];
beforeAll(() => {
  t = fresh();
  layers = [0, 1, 2].map((i) => [0, 1, 2].map((j) => layer(t.dir, `l${i}${j}`, { [`${i}`]: `${j}` })));
});
afterAll(() => cleanup(t.dir));

test("TestMergeBlobchainID: a merge of lazy chains exports their nine blobs and has a blob chain of its own", () => {
  const { root, dir } = t;
  const chains = layers.map((chain) => {
    const ids: string[] = [];
    for (const l of chain) ids.push(ok(root, "import", l.gz, "--lazy", ...(ids.length ? ["--parent", ids.at(-1)!] : [])).id);
    return ids;
  });
  const tops = chains.map((c) => c[2]!);
  const m = ok(root, "merge", ...tops);
  expect(m).toMatchObject({ kind: "merge", parents: tops });

  const all = layers.flat();
  const out = ok(root, "export", m.id, "--compression", "gzip");
  // The inputs' own blobs, in order, none recompressed.
  expect(out.layers.map((l: { digest: string }) => l.digest)).toEqual(all.map((l) => l.gzDigest));
  expect(out.layers.map((l: { diffID: string }) => l.diffID)).toEqual(all.map((l) => l.diffID));
  expect(out.chainID).toBe(chainOf(all.map((l) => l.diffID)));
  // Nothing was extracted for it.
  const listed = byId(root);
  expect(chains.flat().filter((id) => !listed.get(id)?.lazy)).toEqual([]);
  expect(snapshotDirs(root)).toBe(0);
  expect(blobs(root)).toHaveLength(9);

  const info = ok(root, "info", m.id);
  for (const top of tops) expect(info.blobChainID).not.toBe(listed.get(top)!.blobChainID);
  expect(info.blobChainID).toBe(blobChainOf(all.map((l) => ({ digest: l.gzDigest, diffID: l.diffID }))));
  expect(info.chainID).toBe(out.chainID);

  // The nine blobs imported one on another: the first chain's records, then new layers on
  // T0 for five of the rest, and the ninth is the merge itself.
  const before = du(root).records.length;
  expect(before).toBe(10);
  let parent: string | undefined;
  const got: string[] = [];
  for (const l of all) {
    parent = ok(root, "import", l.gz, "--lazy", ...(parent ? ["--parent", parent] : [])).id;
    got.push(parent!);
  }
  expect(got.slice(0, 3)).toEqual(chains[0]);
  expect(got[8]).toBe(m.id);
  expect(ok(root, "info", got[8]!).kind).toBe("merge");
  expect(new Set(got.slice(3, 8)).size).toBe(5);
  for (const id of got.slice(3, 8)) expect([...chains.flat(), m.id]).not.toContain(id);
  expect(du(root).records).toHaveLength(15);

  // The exported image imports back as the merge too.
  ok(root, "export", m.id, "--compression", "gzip", "--output", `${dir}/oci`, "--tag", "m");
  expect(ok(root, "import", `oci:${dir}/oci:m`, "--lazy").id).toBe(m.id);
  expect(du(root).records).toHaveLength(15);
});
