/** gzip decompression on the system's zlib (bun:ffi): push input, pull output, as `gzip -d` reads it. */
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { readLayer } from "../../src/layer/read.ts";
import { inflate } from "../../src/runtime/bun/inflate.ts";
import { run, sample } from "../helpers/streams.ts";

const gunzip = inflate()!;

const gzip = (input: Uint8Array, level = "-6") => new Uint8Array(execFileSync("gzip", ["-c", level], { input, maxBuffer: 1 << 30 }));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

test("libz is found on this host", () => {
  expect(gunzip).toBeDefined();
});

test("what gzip compressed comes back whole, whatever the input and output pieces", () => {
  const data = sample(7);
  for (const level of ["-1", "-9"]) {
    const packed = gzip(data, level);
    for (const [piece, out] of [[packed.length, 256 << 10], [1 << 10, 256 << 10], [1 << 20, 4096]]) {
      expect(same(run(gunzip(), packed, piece!, out), data)).toBe(true);
    }
  }
  // A few bytes in or one byte out at a time, on less data.
  const small = data.subarray((1 << 20) - 10_000, (1 << 20) + 10_000);
  for (const [piece, out] of [[7, 1000], [1 << 20, 1]]) expect(same(run(gunzip(), gzip(small), piece!, out), small)).toBe(true);
});

test("a long run from a few input bytes comes out whole through a small buffer", () => {
  // Megabytes of zeros are a few hundred bytes of gzip: zlib holds output back across pulls.
  const data = new Uint8Array(8 << 20);
  const packed = gzip(data);
  expect(packed.length).toBeLessThan(10_000);
  expect(same(run(gunzip(), packed, packed.length, 4096), data)).toBe(true);
});

test("pulled dry, a stream has given all its input so far decodes to, even where zlib held some back", () => {
  // A sparse MiB: long matches, so a full output buffer often stops zlib inside one.
  const data = new Uint8Array(1 << 20);
  for (let i = 0; i < data.length; i += 4099) data[i] = i & 255;
  const packed = gzip(data);
  const cuts = Array.from({ length: Math.floor(packed.length / 5) }, (_, i) => i * 5);
  // What Python's zlib (another reader of the same library) decodes from each prefix.
  const expected = execFileSync("python3", ["-c", `
import sys, zlib
d = sys.stdin.buffer.read()
print(" ".join(str(len(zlib.decompressobj(31).decompress(d[:int(c)]))) for c in sys.argv[1:]))
`, ...cuts.map(String)], { input: packed }).toString().trim().split(" ").map(Number);
  const b = new Uint8Array(4096);
  const got = cuts.map((c) => {
    const s = gunzip();
    s.push(packed.slice(0, c));
    let n = 0;
    for (let k; (k = s.pull(b)); ) n += k;
    s.free();
    return n;
  });
  expect(got).toEqual(expected);
});

test("members one after another decompress to all of them; a zero byte after one ends the stream, as node:zlib reads it", () => {
  const a = sample(7).subarray(0, 100_000), b = new TextEncoder().encode("second member\n");
  const zeros = (n: number) => new Uint8Array(n);
  const text = (s: string) => new TextEncoder().encode(s);
  const cases = [
    Buffer.concat([gzip(a), gzip(b)]),
    Buffer.concat([gzip(b), zeros(1024)]), // padding
    Buffer.concat([gzip(a), zeros(16), gzip(b)]), // what follows padding is not read
    Buffer.concat([gzip(b), zeros(4), text("anything")]),
  ];
  for (const input of cases) {
    const node = new Uint8Array(gunzipSync(input));
    for (const piece of [input.length, 100, 1]) expect(same(run(gunzip(), input, piece, 4096), node)).toBe(true);
  }
  expect(same(run(gunzip(), cases[0]!, 1000), Buffer.concat([a, b]))).toBe(true);
  expect(same(run(gunzip(), cases[2]!, 1000), a)).toBe(true);
});

test("a stream cut inside a member fails at its end; a damaged or foreign one fails where it is read", () => {
  const packed = gzip(sample(7));
  expect(() => run(gunzip(), packed.subarray(0, packed.length - 4), 1 << 16)).toThrow(/unexpected end of file/);
  expect(() => run(gunzip(), packed.subarray(0, 5), 1 << 16)).toThrow(/unexpected end of file/);
  expect(() => run(gunzip(), new Uint8Array(0), 1)).toThrow(/unexpected end of file/);
  const garbage = Buffer.concat([packed, new TextEncoder().encode("garbage after the member")]);
  expect(() => run(gunzip(), garbage, 1 << 16)).toThrow(/zlib: /);
  const bent = new Uint8Array(packed);
  for (let i = 200; i < 260; i++) bent[i] ^= 0xff;
  expect(() => run(gunzip(), bent, 1 << 16)).toThrow(/zlib: /);
  const crc = new Uint8Array(packed);
  crc[crc.length - 6]! ^= 1; // the trailer's CRC-32
  expect(() => run(gunzip(), crc, 1 << 16)).toThrow(/zlib: incorrect data check/);
});

test("an input given away after its pull is never touched again", () => {
  const data = sample(7);
  const packed = gzip(data);
  const s = gunzip();
  const parts: Uint8Array[] = [];
  const b = new Uint8Array(1 << 20);
  for (let at = 0; at < packed.length; at += 1 << 16) {
    const piece = packed.slice(at, at + (1 << 16));
    s.push(piece);
    for (let n; (n = s.pull(b)); ) parts.push(b.slice(0, n));
    structuredClone(piece.buffer, { transfer: [piece.buffer] }); // detaches it, as a hand-over does
  }
  s.end();
  s.free();
  expect(same(Buffer.concat(parts), data)).toBe(true);
});

test("pushing before the last input was pulled dry is refused; a freed stream refuses work", () => {
  const s = gunzip();
  s.push(gzip(sample(7)));
  expect(s.pull(new Uint8Array(1000))).toBe(1000);
  expect(() => s.push(new Uint8Array(10))).toThrow(/before the last was pulled/);
  s.free();
  s.free();
  expect(() => s.pull(new Uint8Array(100))).toThrow(/freed/);
});

test("a gzip layer is read through the inflater readLayer is given, to the same diffID", async () => {
  const tar = new Uint8Array(execFileSync("tar", ["-cf", "-", "-C", `${import.meta.dir}`, "."], { maxBuffer: 1 << 30 }));
  let made = 0;
  const counted = () => (made++, gunzip());
  const pieces = async function* (bytes: Uint8Array) {
    for (let at = 0; at < bytes.length; at += 1000) yield bytes.slice(at, at + 1000);
  };
  const r = await readLayer(pieces(gzip(tar)), { inflate: () => counted });
  expect(made).toBe(1);
  expect(r).toEqual({ compression: "gzip", diffID: `sha256:${createHash("sha256").update(tar).digest("hex")}` });
});
