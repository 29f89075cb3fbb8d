/**
 * allowHugePages: a compiled Bun binary's mimalloc starts with `allow_thp` on, the
 * environment still overrides it, and the program runs as before.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { allowHugePages } from "../../src/runtime/bun/huge-pages.ts";

let dir: string;
let binary: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(`${tmpdir()}/strata-thp-`);
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

/** Runs the binary with mimalloc's option listing; its stdout and the allow_thp it reports. */
function run(file: string, env: Record<string, string> = {}) {
  const all: Record<string, string | undefined> = { ...process.env, MIMALLOC_VERBOSE: "1", ...env };
  if (!("MIMALLOC_ALLOW_THP" in env)) delete all.MIMALLOC_ALLOW_THP;
  const r = Bun.spawnSync([file, "there"], { env: all as Record<string, string> });
  return { out: r.stdout.toString(), thp: r.stderr.toString().match(/option 'allow_thp': (\d)/)?.[1] };
}

test("a compiled binary starts with allow_thp off", () => {
  expect(run(`${dir}/hello`)).toEqual({ out: "hello there\n", thp: "0" });
});

test("patched, it starts with allow_thp on and runs as before", () => {
  const copy = binary.slice();
  const at = allowHugePages(copy)!;
  expect(new DataView(copy.buffer).getBigInt64(at, true)).toBe(1n);
  // One byte changes: the option's default value, 0 to 1.
  expect(changedBytes(binary, copy)).toBe(1);
  writeFileSync(`${dir}/patched`, copy, { mode: 0o755 });
  expect(run(`${dir}/patched`)).toEqual({ out: "hello there\n", thp: "1" });
  expect(run(`${dir}/patched`, { MIMALLOC_ALLOW_THP: "0" }).thp).toBe("0");
});

test("a binary already patched, a position-independent one, or not an ELF file, is left alone", () => {
  const copy = binary.slice();
  allowHugePages(copy);
  const again = copy.slice();
  expect(allowHugePages(again)).toBeUndefined();
  expect(changedBytes(copy, again)).toBe(0);
  // The same bytes marked ET_DYN: its pointers would be relocated, not as in the file.
  const pie = binary.slice();
  new DataView(pie.buffer).setUint16(16, 3, true);
  expect(allowHugePages(pie)).toBeUndefined();
  const text = new TextEncoder().encode("#!/bin/sh\necho allow_thp\n");
  expect(allowHugePages(text)).toBeUndefined();
});
