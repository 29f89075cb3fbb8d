/**
 * Replays BuildKit's TestDiffOp: a diff of two unrelated bases; a diff across two layers
 * of one chain, which is a merge of the two one-layer diffs ("unmerge"); a diff to nothing.
 * Each keeps its inputs in use while held, and prune --all takes everything once released.
 * Also from BuildKit's diff handling: a one-layer diff exports as its upper's own blob.
 *
 * strata differs: records hold one file each (BuildKit's are empty), so that no input is
 * "empty" in the sense of SPEC §3.9, which BuildKit has no notion of; the last test replays
 * the chain with empty layers too. Diff hands back an unheld record: BuildKit's held diff
 * refs are leases here.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { blobFile, cleanup, du, duCounts, type Fresh, fresh, hold, ok, prune, unhold } from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

/** A held committed record holding one file named `name`, on `parent` when given. */
function rec(root: string, name: string, parent?: string): string {
  const m = ok(root, "new", ...(parent ? ["--parent", parent] : []));
  writeFileSync(`${m.path}/${name}`, name);
  return ok(root, "commit", m.id, "--hold", "1h").id;
}

test("TestDiffOp: a diff of two bases keeps both in use while held and shows the upper's changes", () => {
  const root = `${t.dir}/part1`;
  const la = rec(root, "lowerA");
  const ua = rec(root, "upperA");
  const d = ok(root, "diff", la, ua);
  expect(d).toMatchObject({ kind: "diff", parents: [la, ua] });
  const l = hold(root, d.id);
  expect(duCounts(root)).toEqual([3, 0]);
  ok(root, "release", la);
  ok(root, "release", ua);
  expect(duCounts(root)).toEqual([3, 0]);
  expect(prune(root, "--all").records).toEqual([]);
  expect(duCounts(root)).toEqual([3, 0]);

  expect(readdirSync(ok(root, "path", d.id).path)).toEqual(["upperA"]);
  // As a layer: upperA added, lowerA deleted.
  const layers = ok(root, "export", d.id, "--compression", "uncompressed").layers;
  const listing = execFileSync("tar", ["-tf", blobFile(root, layers.at(-1).digest)]).toString().split("\n").map((n) => n.replace(/^\.\//, ""));
  expect(listing).toContain("upperA");
  expect(listing).toContain(".wh.lowerA");

  unhold(root, l);
  expect(duCounts(root)).toEqual([0, 3]);
  expect(prune(root, "--all").records).toHaveLength(3);
  expect(du(root).records).toEqual([]);
});

test("TestDiffOp: a diff two layers up a chain is a merge of the two one-layer diffs", () => {
  const root = `${t.dir}/part2`;
  const chain: string[] = [];
  for (const name of ["a", "b", "c", "d", "e"]) chain.push(rec(root, name, chain.at(-1)));
  const [, , c, d, e] = chain as [string, string, string, string, string];
  const x = ok(root, "diff", c, e);
  expect(x).toMatchObject({ kind: "merge" });
  expect(x.parents).toHaveLength(2);
  expect(ok(root, "info", x.parents[0])).toMatchObject({ kind: "diff", parents: [c, d] });
  expect(ok(root, "info", x.parents[1])).toMatchObject({ kind: "diff", parents: [d, e] });
  const l = hold(root, x.id);
  expect(duCounts(root)).toEqual([8, 0]);
  for (const id of chain) ok(root, "release", id);
  expect(duCounts(root)).toEqual([8, 0]);
  expect(prune(root, "--all").records).toEqual([]);

  expect(readdirSync(ok(root, "path", x.id).path).sort()).toEqual(["d", "e"]);
  unhold(root, l);
  expect(duCounts(root)).toEqual([0, 8]);
  expect(prune(root, "--all").records).toHaveLength(8);
  expect(du(root).records).toEqual([]);
});

test("TestDiffOp: a diff to nothing keeps its lower in use while held", () => {
  const root = `${t.dir}/part3`;
  const lb = rec(root, "lowerB");
  const d = ok(root, "diff", lb);
  expect(d).toMatchObject({ kind: "diff", parents: [lb] });
  const l = hold(root, d.id);
  expect(duCounts(root)).toEqual([2, 0]);
  ok(root, "release", lb);
  unhold(root, l);
  expect(duCounts(root)).toEqual([0, 2]);
  expect(prune(root, "--all").records).toHaveLength(2);
  expect(du(root).records).toEqual([]);
});

test("TestDiffOp: a diff one layer up a chain is a plain diff whose layer is the upper's own blob", () => {
  const root = `${t.dir}/one-layer`;
  const c = rec(root, "c");
  const d = rec(root, "d", c);
  const own = ok(root, "export", d, "--compression", "gzip").layers[1];
  const x = ok(root, "diff", c, d);
  expect(x).toMatchObject({ kind: "diff", parents: [c, d] });
  const layers = ok(root, "export", x.id, "--compression", "gzip").layers;
  expect(layers.at(-1)).toEqual(own);
});

test("TestDiffOp: with empty layers, as BuildKit's, the diff two layers up is still a merge of two diffs (8 records)", () => {
  // SPEC §3.9 drops empty merge inputs; one-layer diffs of empty layers are kept, as in BuildKit.
  const root = `${t.dir}/empty`;
  const chain: string[] = [];
  for (let k = 0; k < 5; k++) {
    const m = ok(root, "new", ...(chain.length ? ["--parent", chain.at(-1)!] : []));
    chain.push(ok(root, "commit", m.id).id);
  }
  const x = ok(root, "diff", chain[2]!, chain[4]!);
  expect(x).toMatchObject({ kind: "merge" });
  expect(x.parents).toHaveLength(2);
  const l = hold(root, x.id);
  expect(duCounts(root)).toEqual([8, 0]);
  unhold(root, l);
  expect(prune(root, "--all").records).toHaveLength(8);
  expect(du(root).records).toEqual([]);
});
