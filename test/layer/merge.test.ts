/** applySteps with and without its helper thread, and where a hardlink cannot be made. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { execSync } from "node:child_process";
import {
  linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync,
} from "node:fs";
import { linker } from "../../src/runtime/bun/linker.ts";
import { walker } from "../../src/runtime/bun/walker.ts";
import { splitTop } from "../../src/layer/diff.ts";
import { applySteps } from "../../src/layer/merge.ts";
import { sys } from "../../src/runtime/bun/sys.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

const asRoot = process.getuid?.() === 0;
let other: string;
let dir: string;
beforeAll(() => {
  dir = tempDir();
  other = tempDir("strata-tmpfs-");
  if (asRoot) execSync(`mount -t tmpfs -o size=8m strata-merge ${other}`);
});
afterAll(() => {
  if (asRoot) execSync(`umount ${other}`);
  cleanup(other);
  cleanup(dir);
});

test.if(asRoot)("files on another filesystem are copied, keeping mode, times and links among themselves", async () => {
  mkdirSync(`${other}/up/sub`, { recursive: true });
  writeFileSync(`${other}/up/sub/f`, "data", { mode: 0o640 });
  linkSync(`${other}/up/sub/f`, `${other}/up/sub/g`);
  sys.utimens(`${other}/up/sub/f`, 1_500_000_000_000_000_000n, 1_500_000_000_123_000_000n);
  mkdirSync(`${dir}/dest`);
  await applySteps(sys, `${dir}/dest`, [{ upper: `${other}/up` }], { deletions: true });
  const f = lstatSync(`${dir}/dest/sub/f`, { bigint: true });
  expect(readFileSync(`${dir}/dest/sub/f`, "utf8")).toBe("data");
  expect(f.ino).not.toBe(lstatSync(`${other}/up/sub/f`, { bigint: true }).ino);
  expect(Number(f.mode) & 0o777).toBe(0o640);
  expect(f.mtimeNs).toBe(1_500_000_000_123_000_000n);
  expect(lstatSync(`${dir}/dest/sub/g`).ino).toBe(Number(f.ino));
});

test.if(asRoot)("with a helper thread too, files on another filesystem come back to be copied", async () => {
  mkdirSync(`${other}/many`);
  for (let i = 0; i < 400; i++) writeFileSync(`${other}/many/f${i}`, `f${i}`);
  linkSync(`${other}/many/f399`, `${other}/many/twin`);
  mkdirSync(`${dir}/dest2`);
  await applySteps(sys, `${dir}/dest2`, [{ upper: `${other}/many` }], { deletions: true }, { linker });
  expect(readFileSync(`${dir}/dest2/f123`, "utf8")).toBe("f123");
  expect(lstatSync(`${dir}/dest2/f123`).ino).not.toBe(lstatSync(`${other}/many/f123`).ino);
  expect(lstatSync(`${dir}/dest2/twin`).ino).toBe(lstatSync(`${dir}/dest2/f399`).ino);
});

/** Every path with its type and, for files, the inode it links to; symlinks with targets. */
function shape(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(rel ? `${root}/${rel}` : root).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(`${root}/${r}`);
      if (st.isDirectory()) {
        out.push(`${r}/ ${(st.mode & 0o7777).toString(8)}`);
        walk(r);
      } else out.push(st.isSymbolicLink() ? `${r} -> ${readlinkSync(`${root}/${r}`)}` : `${r} ${st.ino}`);
    }
  };
  walk("");
  return out;
}

test("with helper threads, a merge of many files with overlaps, deletions and type changes is the same", async () => {
  const [a, b, c] = [`${dir}/a`, `${dir}/b`, `${dir}/c`];
  for (let d = 0; d < 6; d++) {
    mkdirSync(`${a}/d${d}`, { recursive: true });
    for (let f = 0; f < 80; f++) writeFileSync(`${a}/d${d}/f${f}`, `a${d}.${f}`);
  }
  writeFileSync(`${a}/becomes-dir`, "file");
  mkdirSync(`${a}/becomes-file/inner`, { recursive: true });
  writeFileSync(`${a}/becomes-file/inner/x`, "x");
  // b: a's next layer, a copy with changes.
  execSync(`cp -a ${a} ${b}`);
  for (let f = 0; f < 80; f += 3) rmSync(`${b}/d1/f${f}`);
  for (let f = 0; f < 80; f += 2) writeFileSync(`${b}/d2/f${f}`, `b${f}`);
  rmSync(`${b}/d5`, { recursive: true });
  rmSync(`${b}/becomes-dir`);
  mkdirSync(`${b}/becomes-dir`);
  writeFileSync(`${b}/becomes-dir/y`, "y");
  rmSync(`${b}/becomes-file`, { recursive: true });
  writeFileSync(`${b}/becomes-file`, "now a file");
  // Enough top-level directories for a walker to take every other one, becomes-dir too.
  for (const d of ["aa", "x1", "x2", "x3"]) {
    mkdirSync(`${b}/${d}`);
    writeFileSync(`${b}/${d}/f`, d);
  }
  // c: an unrelated tree overlapping both.
  mkdirSync(`${c}/d0`, { recursive: true });
  for (let f = 0; f < 300; f++) writeFileSync(`${c}/d0/f${f}`, `c${f}`);
  symlinkSync("d0/f1", `${c}/d3`);
  const steps = [{ upper: a }, { lower: a, upper: b }, { upper: c }];
  mkdirSync(`${dir}/one`);
  mkdirSync(`${dir}/two`);
  await applySteps(sys, `${dir}/one`, steps, { deletions: true });
  await applySteps(sys, `${dir}/two`, steps, { deletions: true }, { linker, walker });
  const one = shape(`${dir}/one`);
  expect(shape(`${dir}/two`)).toEqual(one);
  expect(one).toContain("d3 -> d0/f1");
  expect(one).toContain(`becomes-file ${lstatSync(`${b}/becomes-file`).ino}`);
  expect(one).not.toContain(`d1/f0 ${lstatSync(`${a}/d1/f0`).ino}`);
  expect(one.filter((l) => l.startsWith("d5/"))).toEqual([]);
  expect(one).toContain(`becomes-dir/y ${lstatSync(`${b}/becomes-dir/y`).ino}`);
  expect(splitTop(a, b).map(([rel, fresh]) => `${rel}${fresh ? " (fresh)" : ""}`)).toContain("becomes-dir (fresh)");
});

test.if(asRoot)("a copy that replaces an earlier step's file never writes into that file's inode", async () => {
  // Step one links base/f into the result; step two's f is on another filesystem, so it
  // is copied over the link: the copy must replace the link, not fill the shared inode.
  mkdirSync(`${dir}/base`);
  writeFileSync(`${dir}/base/f`, "base");
  mkdirSync(`${other}/later`);
  writeFileSync(`${other}/later/f`, "later");
  // Enough files that the helper thread takes part.
  for (let i = 0; i < 300; i++) writeFileSync(`${other}/later/g${i}`, "g");
  for (const [name, helpers] of [["inline", {}], ["helper", { linker }]] as const) {
    mkdirSync(`${dir}/${name}`);
    await applySteps(sys, `${dir}/${name}`, [{ upper: `${dir}/base` }, { upper: `${other}/later` }], { deletions: true }, helpers);
    expect(readFileSync(`${dir}/${name}/f`, "utf8")).toBe("later");
    expect(readFileSync(`${dir}/base/f`, "utf8")).toBe("base");
  }
});
