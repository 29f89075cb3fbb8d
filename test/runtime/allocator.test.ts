/**
 * allocatorDefaults: a compiled Bun binary's mimalloc starts with strata's defaults
 * (huge pages allowed, freed memory kept), the environment still overrides them, and the
 * program runs as before.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { allocatorDefaults } from "../../src/runtime/bun/allocator.ts";

let dir: string;
let binary: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(`${tmpdir()}/strata-alloc-`);
  writeFileSync(`${dir}/hello.ts`, `console.log("hello " + process.argv[2]);`);
  const built = await Bun.build({ entrypoints: [`${dir}/hello.ts`], compile: { outfile: `${dir}/hello` } });
  expect(built.success).toBe(true);
  binary = new Uint8Array(readFileSync(`${dir}/hello`));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** How many bytes differ between two equally long binaries (memcmp by 64 KiB, then bytes). */
function changedBytes(a: Uint8Array, b: Uint8Array): number {
  let changed = 0;
  for (let at = 0; at < a.length; at += 1 << 16) {
    const x = Buffer.from(a.buffer, a.byteOffset + at, Math.min(1 << 16, a.length - at));
    const y = Buffer.from(b.buffer, b.byteOffset + at, x.length);
    if (!x.equals(y)) for (let i = 0; i < x.length; i++) changed += x[i] !== y[i] ? 1 : 0;
  }
  return changed;
}

/** Runs the binary with mimalloc's option listing: its stdout and the two options' values. */
function run(file: string, env: Record<string, string> = {}) {
  const all: Record<string, string | undefined> = { ...process.env, MIMALLOC_VERBOSE: "1", ...env };
  for (const name of ["MIMALLOC_ALLOW_THP", "MIMALLOC_PURGE_DELAY"]) if (!(name in env)) delete all[name];
  const r = Bun.spawnSync([file, "there"], { env: all as Record<string, string> });
  const option = (name: string) => r.stderr.toString().match(new RegExp(`option '${name}': (-?\\d+)`))?.[1];
  return { out: r.stdout.toString(), thp: option("allow_thp"), purge: option("purge_delay") };
}

test("a compiled binary starts with Bun's defaults: no huge pages, freed memory returned after 100 ms", () => {
  expect(run(`${dir}/hello`)).toEqual({ out: "hello there\n", thp: "0", purge: "100" });
});

test("patched, it starts with strata's and runs as before; the environment still wins", () => {
  const copy = binary.slice();
  const at = allocatorDefaults(copy)!;
  const view = new DataView(copy.buffer);
  expect([view.getBigInt64(at.allow_thp!, true), view.getBigInt64(at.purge_delay!, true)]).toEqual([1n, -1n]);
  // Only the two values change: 0 → 1 is one byte, 100 → -1 all eight.
  expect(changedBytes(binary, copy)).toBe(9);
  writeFileSync(`${dir}/patched`, copy, { mode: 0o755 });
  expect(run(`${dir}/patched`)).toEqual({ out: "hello there\n", thp: "1", purge: "-1" });
  const env = run(`${dir}/patched`, { MIMALLOC_ALLOW_THP: "0", MIMALLOC_PURGE_DELAY: "100" });
  expect([env.thp, env.purge]).toEqual(["0", "100"]);
});

test("a binary already patched, a position-independent one, or not an ELF file, is left alone", () => {
  const copy = binary.slice();
  allocatorDefaults(copy);
  const again = copy.slice();
  expect(allocatorDefaults(again)).toBeUndefined();
  expect(changedBytes(copy, again)).toBe(0);
  // The same bytes marked ET_DYN: its pointers would be relocated, not as in the file.
  const pie = binary.slice();
  new DataView(pie.buffer).setUint16(16, 3, true);
  expect(allocatorDefaults(pie)).toBeUndefined();
  expect(changedBytes(binary, pie)).toBe(1);
  const text = new TextEncoder().encode("#!/bin/sh\necho allow_thp purge_delay\n");
  expect(allocatorDefaults(text)).toBeUndefined();
});
