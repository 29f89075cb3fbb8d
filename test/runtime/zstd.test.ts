/** Native zstd (libzstd through bun:ffi): push input, pull output, as the zstd CLI reads and writes it. */
import { afterAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { zstd } from "../../src/runtime/bun/zstd.ts";
import { run, sample } from "../helpers/streams.ts";

const z = zstd()!;
const dir = mkdtempSync(`${tmpdir()}/strata-zstd-`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], input: Uint8Array) => new Uint8Array(execFileSync("zstd", args, { input, maxBuffer: 1 << 30 }));

test("libzstd is found on this host", () => {
  expect(z).toBeDefined();
});

test("what the zstd CLI compressed comes back whole, whatever the input and output pieces", () => {
  const data = sample(11);
  const packed = cli(["-q", "-c"], data);
  for (const [piece, out] of [[packed.length, 256 << 10], [1 << 10, 256 << 10], [7, 1000], [1 << 20, 4096]]) {
    expect(Buffer.compare(run(z.decompressor(), packed, piece!, out), data)).toBe(0);
  }
});

test("what it compresses the zstd CLI reads back, and the bytes do not depend on the pieces", () => {
  const data = sample(11);
  const whole = run(z.compressor(), data, data.length);
  expect(Buffer.compare(cli(["-q", "-d", "-c"], whole), data)).toBe(0);
  expect(Buffer.compare(run(z.compressor(), data, 1 << 20, 1000), whole)).toBe(0);
  expect(Buffer.compare(run(z.compressor(), data, 12345, 64 << 10), whole)).toBe(0);
  expect(whole.length).toBeLessThan(data.length / 2);
});

test("frames one after another decompress to both, as `zstd -d` does", () => {
  const a = sample(11), b = new TextEncoder().encode("second frame\n");
  const both = Buffer.concat([cli(["-q", "-c"], a), cli(["-q", "-c"], b)]);
  expect(Buffer.compare(run(z.decompressor(), both, 1 << 16), Buffer.concat([a, b]))).toBe(0);
});

test("a stream cut inside a frame fails at its end; a damaged or foreign one fails where it is read", () => {
  const packed = cli(["-q", "-c"], sample(11));
  expect(() => run(z.decompressor(), packed.subarray(0, packed.length - 100), 1 << 16)).toThrow(/truncated/);
  expect(() => run(z.decompressor(), packed.subarray(0, 9), 1 << 16)).toThrow(/truncated/);
  const garbage = Buffer.concat([packed, new TextEncoder().encode("garbage after the frame")]);
  expect(() => run(z.decompressor(), garbage, 1 << 16)).toThrow(/zstd: /);
  const bent = new Uint8Array(packed);
  for (let i = 200; i < 260; i++) bent[i] ^= 0xff;
  expect(() => run(z.decompressor(), bent, 1 << 16)).toThrow(/zstd: /);
});

test("an empty push is nothing, and an input given away after its pull is never touched again", () => {
  const data = sample(11);
  const s = z.compressor();
  const parts: Uint8Array[] = [];
  const b = new Uint8Array(1 << 20);
  for (let at = 0; at < data.length; at += 1 << 20) {
    s.push(new Uint8Array(0));
    expect(s.pull(b)).toBe(0);
    const piece = data.slice(at, at + (1 << 20));
    s.push(piece);
    for (let n; (n = s.pull(b)); ) parts.push(b.slice(0, n));
    structuredClone(piece.buffer, { transfer: [piece.buffer] }); // detaches it, as a hand-over does
  }
  s.end();
  for (let n; (n = s.pull(b)); ) parts.push(b.slice(0, n));
  s.free();
  writeFileSync(`${dir}/out.zst`, Buffer.concat(parts));
  expect(Buffer.compare(new Uint8Array(execFileSync("zstd", ["-q", "-d", "-c", `${dir}/out.zst`], { maxBuffer: 1 << 30 })), data)).toBe(0);
});

test("pushing before the last input was pulled dry is refused", () => {
  const s = z.decompressor();
  try {
    s.push(cli(["-q", "-c"], sample(11)));
    expect(s.pull(new Uint8Array(1000))).toBe(1000);
    expect(() => s.push(new Uint8Array(10))).toThrow(/before the last was pulled/);
  } finally {
    s.free();
  }
});

test("freeing twice is nothing; a freed stream refuses work instead of touching freed memory", () => {
  for (const s of [z.compressor(), z.decompressor()]) {
    s.free();
    s.free();
    s.push(new Uint8Array(10));
    expect(() => s.pull(new Uint8Array(100))).toThrow(/freed/);
  }
});
