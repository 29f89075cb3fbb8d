/** Test data and a driver for native (de)compression streams (zstd, inflate). */
import type { NativeStream } from "../../src/layer/compression.ts";

/** 3 MiB that compress well but not to nothing: a random MiB repeated with changes. */
export function sample(seed: number): Uint8Array {
  const out = new Uint8Array(3 << 20);
  let x = seed;
  for (let i = 0; i < 1 << 20; i++) out[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  out.copyWithin(1 << 20, 0, 1 << 20);
  out.copyWithin(2 << 20, 0, 1 << 20);
  for (let i = 1 << 20; i < out.length; i += 4099) out[i] ^= 0x5a;
  return out;
}

/** Feeds `input` in pieces of `piece` bytes, pulling into a buffer of `out` bytes; ends and frees `s`. */
export function run(s: NativeStream, input: Uint8Array, piece: number, out = 256 << 10): Uint8Array {
  const parts: Uint8Array[] = [];
  const b = new Uint8Array(out);
  const drain = () => {
    for (let n; (n = s.pull(b)); ) parts.push(b.slice(0, n));
  };
  try {
    for (let at = 0; at < input.length; at += piece) {
      s.push(input.subarray(at, at + piece));
      drain();
    }
    s.end();
    drain();
  } finally {
    s.free();
  }
  return Buffer.concat(parts);
}
