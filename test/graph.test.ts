/** Merge and diff (SPEC §3.9–10) through the CLI on a real root. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cleanup, cli, ok, tempDir } from "./helpers/env.ts";
import { gnuTar } from "./helpers/tars.ts";

let dir: string;
let root: string;
beforeEach(() => {
  dir = tempDir();
  root = `${dir}/root`;
});
afterEach(() => cleanup(dir));

/** A committed record made by `fill` on top of `parent`. */
function record(fill: (path: string) => void, parent?: string): string {
  const m = ok(root, "new", ...(parent ? ["--parent", parent] : []));
  fill(m.path);
  return ok(root, "commit", m.id).id;
}
const tree = (id: string) => ok(root, "path", id).path as string;
const list = (p: string): string[] => {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const n of readdirSync(rel ? `${p}/${rel}` : p).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const st = lstatSync(`${p}/${r}`);
      out.push(st.isDirectory() ? `${r}/` : st.isSymbolicLink() ? `${r}@` : `${r}=${readFileSync(`${p}/${r}`, "utf8")}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk("");
  return out;
};

describe("merge", () => {
  test("later inputs win, and a deletion in a later input's chain removes the file", () => {
    const a = record((p) => {
      writeFileSync(`${p}/x`, "from a");
      writeFileSync(`${p}/keep`, "a");
    });
    const b0 = record((p) => {
      writeFileSync(`${p}/x`, "from b0");
      writeFileSync(`${p}/y`, "b0");
    });
    const b1 = record((p) => rmSync(`${p}/x`), b0);
    const m = ok(root, "merge", a, b1);
    expect(m).toMatchObject({ kind: "merge", parents: [a, b1], mutable: false });
    expect(list(tree(m.id))).toEqual(["keep=a", "y=b0"]);
    // The other order: a comes last and brings x back.
    expect(list(tree(ok(root, "merge", b1, a).id))).toEqual(["keep=a", "x=from a", "y=b0"]);
  });

  test("type changes: a file replaced by a directory, and back", () => {
    const a = record((p) => writeFileSync(`${p}/t`, "file"));
    const b = record((p) => {
      mkdirSync(`${p}/t`);
      writeFileSync(`${p}/t/inside`, "dir");
    });
    const c = record((p) => writeFileSync(`${p}/t`, "file again"));
    expect(list(tree(ok(root, "merge", a, b).id))).toEqual(["t/", "t/inside=dir"]);
    expect(list(tree(ok(root, "merge", a, b, c).id))).toEqual(["t=file again"]);
  });

  test("an opaque directory in an input's layer hides what earlier inputs put there", () => {
    const a = record((p) => {
      mkdirSync(`${p}/o`);
      writeFileSync(`${p}/o/old`, "old");
    });
    mkdirSync(`${dir}/base/o`, { recursive: true });
    writeFileSync(`${dir}/base/o/lower`, "lower");
    mkdirSync(`${dir}/up/o`, { recursive: true });
    writeFileSync(`${dir}/up/o/.wh..wh..opq`, "");
    writeFileSync(`${dir}/up/o/new`, "new");
    gnuTar(`${dir}/base`, `${dir}/base.tgz`);
    gnuTar(`${dir}/up`, `${dir}/up.tgz`);
    const base = ok(root, "import", `${dir}/base.tgz`).id;
    const up = ok(root, "import", `${dir}/up.tgz`, "--parent", base).id;
    // The opaque layer's record tree no longer has o/lower; applied after a, o/old stays
    // (it came from another input, and the layer's own diff deletes only o/lower).
    expect(list(tree(ok(root, "merge", a, up).id))).toEqual(["o/", "o/new=new", "o/old=old"]);
  });

  test("files are hardlinked from the inputs; a child of the merge gets its own copy", () => {
    const a = record((p) => {
      writeFileSync(`${p}/f`, "a");
      linkSync(`${p}/f`, `${p}/f2`);
    });
    const b = record((p) => writeFileSync(`${p}/g`, "b"));
    const m = ok(root, "merge", a, b).id;
    const mp = tree(m);
    expect(lstatSync(`${mp}/f`).ino).toBe(lstatSync(`${tree(a)}/f`).ino);
    expect(lstatSync(`${mp}/g`).ino).toBe(lstatSync(`${tree(b)}/g`).ino);
    expect(lstatSync(`${mp}/f2`).ino).toBe(lstatSync(`${mp}/f`).ino);
    const child = ok(root, "new", "--parent", m);
    expect(lstatSync(`${child.path}/f`).ino).not.toBe(lstatSync(`${mp}/f`).ino);
    writeFileSync(`${child.path}/f`, "changed in child");
    expect(readFileSync(`${tree(a)}/f`, "utf8")).toBe("a");
    expect(lstatSync(`${child.path}/f2`).ino).toBe(lstatSync(`${child.path}/f`).ino);
  });

  test("flattens merges, drops empty inputs, returns a single input unchanged", () => {
    const a = record((p) => writeFileSync(`${p}/a`, "a"));
    const b = record((p) => writeFileSync(`${p}/b`, "b"));
    const c = record((p) => writeFileSync(`${p}/c`, "c"));
    const empty = record(() => {});
    const ab = ok(root, "merge", a, b).id;
    expect(ok(root, "merge", ab, c).parents).toEqual([a, b, c]);
    expect(ok(root, "merge", a, empty).id).toBe(a);
    expect(ok(root, "merge", a).id).toBe(a);
    expect(cli(root, "merge", empty, empty).code).toBe(5);
    expect(cli(root, "merge").code).toBe(2);
  });

  test("its size counts only what it does not share; its inputs stay until it is gone", () => {
    const a = record((p) => writeFileSync(`${p}/big`, Buffer.alloc(200_000, 1)));
    const b = record((p) => writeFileSync(`${p}/big2`, Buffer.alloc(200_000, 2)));
    const m = ok(root, "merge", a, b).id;
    tree(m);
    const info = ok(root, "info", m);
    expect(info.size).toBeLessThan(50_000);
    expect(ok(root, "check").problems).toEqual([]); // the cached size is the one check computes
    const du = ok(root, "du");
    const total = du.records.reduce((n: number, r: { size: number }) => n + r.size, 0);
    expect(total).toBe(du.totals.total);
    expect(total).toBeLessThan(2 * 200_000 + 100_000);
    // Held, the merge keeps its inputs; pruned, all three go in one call.
    const held = ok(root, "path", m, "--hold", "1h");
    const kept = cli(root, "--json", "prune", "--all").stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(kept.at(-1).summary.records).toBe(0);
    ok(root, "release", held.id);
    const gone = cli(root, "--json", "prune", "--all").stdout.trim().split("\n").map((l) => JSON.parse(l));
    const removed = gone.filter((l) => l.id).map((l) => l.id);
    expect(removed[0]).toBe(m); // the merge first, then its inputs, freed in the same call
    expect(removed.slice(1).sort()).toEqual([a, b].sort());
    expect(gone.at(-1).summary.records).toBe(3);
    expect(ok(root, "du").records).toEqual([]);
  });

  test("an exported merge unpacks with umoci and GNU tar to the tree strata shows", () => {
    const a = record((p) => {
      writeFileSync(`${p}/x`, "a");
      mkdirSync(`${p}/d`);
      writeFileSync(`${p}/d/y`, "a");
    });
    const b0 = record((p) => writeFileSync(`${p}/z`, "b"));
    const b1 = record((p) => {
      rmSync(`${p}/z`);
      writeFileSync(`${p}/x`, "b wins");
    }, b0);
    const m = ok(root, "merge", a, b1).id;
    const out = ok(root, "export", m, "--output", `${dir}/oci`, "--tag", "m");
    expect(out.layers).toHaveLength(3);
    expect(out.layers[1].digest).toBe(ok(root, "export", b0).layers[0].digest);
    execFileSync("umoci", ["unpack", "--image", `${dir}/oci:m`, `${dir}/bundle`], { stdio: "pipe" });
    expect(list(`${dir}/bundle/rootfs`)).toEqual(list(tree(m)));
    // GNU tar, layer by layer, whiteouts applied by hand.
    mkdirSync(`${dir}/gnu`);
    for (const l of out.layers) {
      const blob = `${dir}/oci/blobs/sha256/${l.digest.slice(7)}`;
      for (const name of execFileSync("tar", ["-tzf", blob]).toString().split("\n").filter((n) => n.includes(".wh."))) {
        rmSync(`${dir}/gnu/${name.replace(".wh.", "")}`, { recursive: true, force: true });
      }
      execFileSync("tar", ["-xzf", blob, "-C", `${dir}/gnu`, "--exclude=*.wh.*"]);
    }
    expect(list(`${dir}/gnu`)).toEqual(list(tree(m)));
  });
});

describe("diff", () => {
  test("the changes from lower to upper: its tree holds what was added or changed, its layer the deletions too", () => {
    const a = record((p) => {
      writeFileSync(`${p}/same`, "s");
      writeFileSync(`${p}/changed`, "1");
      writeFileSync(`${p}/gone`, "g");
    });
    const b = record((p) => {
      writeFileSync(`${p}/changed`, "2");
      rmSync(`${p}/gone`);
      writeFileSync(`${p}/added`, "+");
    }, a);
    const c = record((p) => writeFileSync(`${p}/unrelated`, "u"));
    const d = ok(root, "diff", c, b);
    expect(d).toMatchObject({ kind: "diff", parents: [c, b] });
    // Against an unrelated lower: everything in b is new, and c's file is deleted in the layer.
    expect(list(tree(d.id))).toEqual(["added=+", "changed=2", "same=s"]);
    const layer = ok(root, "export", d.id, "--compression", "uncompressed").layers;
    expect(layer).toHaveLength(1);
    const names = execFileSync("tar", ["-tf", `${root}/content/blobs/sha256/${layer[0].digest.slice(7)}`]).toString();
    expect(names).toContain(".wh.unrelated");
    // Applied on top of c, the diff gives b's tree.
    expect(list(tree(ok(root, "merge", c, d.id).id))).toEqual(list(tree(b)));
  });

  test("an ancestor more than one layer down gives a merge of per-layer diffs that reuse each layer's blob", () => {
    const a = record((p) => writeFileSync(`${p}/a`, "a"));
    const b = record((p) => writeFileSync(`${p}/b`, "b"), a);
    const c = record((p) => rmSync(`${p}/a`), b);
    const d = ok(root, "diff", a, c);
    expect(d.kind).toBe("merge");
    expect(d.parents).toHaveLength(2);
    for (const p of d.parents) expect(ok(root, "info", p).kind).toBe("diff");
    const chain = ok(root, "export", c).layers.map((l: { digest: string }) => l.digest);
    expect(ok(root, "export", d.id).layers.map((l: { digest: string }) => l.digest)).toEqual(chain.slice(1));
    // One layer down is a single diff, exported as that layer's blob.
    const one = ok(root, "diff", b, c);
    expect(one.kind).toBe("diff");
    expect(ok(root, "export", one.id).layers[0].digest).toBe(chain[2]);
    // Inputs stay in use while the diff exists.
    const out = cli(root, "--json", "prune", "--all", "--filter", `id==${a}`).stdout.trim().split("\n");
    expect(JSON.parse(out.at(-1)!).summary.records).toBe(0);
  });

  test("without an upper, the diff to an empty tree deletes everything", () => {
    const a = record((p) => {
      writeFileSync(`${p}/f`, "f");
      mkdirSync(`${p}/d`);
    });
    const d = ok(root, "diff", a);
    expect(d.parents).toEqual([a]);
    expect(readdirSync(tree(d.id))).toEqual([]);
    expect(readdirSync(tree(ok(root, "merge", a, d.id).id))).toEqual([]);
    const layer = ok(root, "export", d.id, "--compression", "uncompressed").layers[0];
    const names = execFileSync("tar", ["-tf", `${root}/content/blobs/sha256/${layer.digest.slice(7)}`]).toString().trim().split("\n").sort();
    expect(names).toEqual([".wh.d", ".wh.f"]);
    expect(existsSync(`${tree(a)}/f`)).toBe(true);
  });
});

test("two processes asking for a merge's directory at once: one builds it, the other is told it is locked, nothing is left half-made", async () => {
  const inputs = [1, 2, 3].map((n) => record((p) => {
    for (let i = 0; i < 300; i++) writeFileSync(`${p}/f${n}-${i}`, `${n}/${i}`);
  }));
  const m = ok(root, "merge", ...inputs).id;
  const cmd = process.env.STRATA_BIN ? [process.env.STRATA_BIN] : [process.execPath, `${import.meta.dir}/../src/main.ts`];
  const procs = [0, 1].map(() => Bun.spawn([...cmd, "--root", root, "path", m], { stdout: "pipe", stderr: "pipe" }));
  const codes = await Promise.all(procs.map((p) => p.exited));
  expect(codes.every((c) => c === 0 || c === 4)).toBe(true);
  expect(codes).toContain(0);
  expect(readdirSync(tree(m))).toHaveLength(900);
  expect(ok(root, "check").problems).toEqual([]);
});
