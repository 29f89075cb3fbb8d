/**
 * Trees big enough for the helper threads (copying, hashing, extracting, linking), run
 * through the CLI: from sources, and in CI through the compiled binary too, where each
 * thread is an entry point of its own.
 */
import { afterAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cleanup, cli, ok, tempDir } from "../helpers/env.ts";

const dir = tempDir();
const root = `${dir}/root`;
afterAll(() => cleanup(dir));

/** Relative path and content of every file under `at`. */
function files(at: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(rel ? `${at}/${rel}` : at).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (lstatSync(`${at}/${r}`).isDirectory()) walk(r);
      else out.push(`${r}=${readFileSync(`${at}/${r}`, "latin1").slice(0, 40)}:${lstatSync(`${at}/${r}`).size}`);
    }
  };
  walk("");
  return out;
}

test("a tree of 600 files goes through new --parent, export, import and merge intact", () => {
  const base = ok(root, "new");
  for (let d = 0; d < 8; d++) {
    mkdirSync(`${base.path}/d${d}`);
    for (let f = 0; f < 75; f++) writeFileSync(`${base.path}/d${d}/f${f}`, f === 5 ? "z".repeat(6 << 20) : `${d}/${f}`);
  }
  const committed = ok(root, "commit", base.id);
  const want = files(base.path);

  const child = ok(root, "new", "--parent", committed.id); // copied on two threads
  expect(files(child.path)).toEqual(want);

  const out = `${dir}/layout`;
  ok(root, "export", committed.id, "--output", out, "--tag", "t"); // hashed on a thread
  const other = `${dir}/other`;
  const imported = ok(other, "import", `oci:${out}:t`); // extracted on two threads
  expect(files(ok(other, "path", imported.id).path)).toEqual(want);
  expect(imported.blob.digest).toBe(ok(root, "info", committed.id).blob.digest);

  const second = ok(root, "new");
  writeFileSync(`${second.path}/extra`, "extra");
  const merged = ok(root, "merge", committed.id, ok(root, "commit", second.id).id); // linked on a thread
  const mp = ok(root, "path", merged.id).path;
  expect(files(mp).sort()).toEqual([...want, "extra=extra:5"].sort());
  expect(lstatSync(`${mp}/d3/f7`).ino).toBe(lstatSync(`${base.path}/d3/f7`).ino);
  // A diff of two trees with eight top-level directories: walked on two threads.
  const edited = ok(root, "new", "--parent", committed.id);
  writeFileSync(`${edited.path}/d1/f1`, "edited");
  writeFileSync(`${edited.path}/d6/new`, "new");
  const diff = ok(root, "diff", committed.id, ok(root, "commit", edited.id).id);
  expect(files(ok(root, "path", diff.id).path)).toEqual(["d1/f1=edited:6", "d6/new=new:3"]);
  // And GNU tar agrees about the exported layer's content.
  const layer = ok(root, "info", committed.id).blob.digest.slice("sha256:".length);
  const tarList = execFileSync("tar", ["-tzf", `${out}/blobs/sha256/${layer}`]).toString();
  expect(tarList.split("\n").filter((l) => /^(\.\/)?d\d\/f\d+$/.test(l)).length).toBe(600);
});

test("a big layer cut short fails with exit 8 and leaves no record, no snapshot, no stray file", () => {
  const src = `${dir}/cut-src`;
  for (let d = 0; d < 6; d++) {
    mkdirSync(`${src}/d${d}`, { recursive: true });
    // Random bytes, so the gzip stream is long and a cut lands among the files.
    for (let f = 0; f < 100; f++) writeFileSync(`${src}/d${d}/f${f}`, crypto.getRandomValues(new Uint8Array(20_000)));
  }
  execFileSync("tar", ["-czf", `${dir}/whole.tgz`, "-C", src, "."]);
  const whole = readFileSync(`${dir}/whole.tgz`);
  writeFileSync(`${dir}/cut.tgz`, whole.subarray(0, Math.floor(whole.length * 0.7)));
  const r = cli(`${dir}/cut-root`, "import", `${dir}/cut.tgz`);
  expect(r.code).toBe(8);
  expect(r.stderr).toMatch(/^strata: [^\n]*corrupt[^\n]*\n$/);
  expect(ok(`${dir}/cut-root`, "du").records).toEqual([]);
  expect(readdirSync(`${dir}/cut-root/snapshots`)).toEqual([]);
  expect(readdirSync(`${dir}/cut-root/content/ingest`)).toEqual([]);
});
