/** SHA-256 of a stream, hashed on another thread once it is long enough. */
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { Sha256 } from "../../src/platform/sha256.ts";

const expected = (chunks: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const c of chunks) h.update(c);
  return `sha256:${h.digest("hex")}`;
};

/** Chunks of uneven sizes with varied bytes, `total` bytes in all. */
function chunks(total: number, seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = total, x = seed;
  while (left > 0) {
    const n = Math.min(left, 1 + ((x = (x * 1103515245 + 12345) & 0x7fffffff) % 700_000));
    const c = new Uint8Array(n);
    for (let i = 0; i < n; i += 997) c[i] = (x + i) & 0xff;
    out.push(c);
    left -= n;
  }
  return out;
}

test("short and long streams, in uneven chunks, hash as one buffer would", async () => {
  for (const total of [0, 1, 1 << 20, (4 << 20) - 1, 4 << 20, (9 << 20) + 12345, 40 << 20]) {
    const cs = chunks(total, total + 1);
    const h = new Sha256();
    for (const c of cs) {
      h.update(c);
      await h.ready();
    }
    expect(await h.digest()).toBe(expected(cs));
  }
});

test("a chunk may be reused as soon as update returns", async () => {
  const buf = Buffer.alloc(1 << 20);
  const seen: Uint8Array[] = [];
  const h = new Sha256();
  for (let i = 0; i < 12; i++) {
    buf.fill(i);
    h.update(buf);
    seen.push(new Uint8Array(buf));
  }
  expect(await h.digest()).toBe(expected(seen));
});

test("streams hashed at the same time do not mix, and an aborted one ends cleanly", async () => {
  const a = chunks(10 << 20, 1), b = chunks(6 << 20, 2), c = chunks(8 << 20, 3);
  const ha = new Sha256(), hb = new Sha256(), hc = new Sha256();
  for (let i = 0; i < Math.max(a.length, b.length, c.length); i++) {
    if (a[i]) ha.update(a[i]!);
    if (b[i]) hb.update(b[i]!);
    if (c[i]) hc.update(c[i]!);
  }
  hc.abort();
  expect(await Promise.all([ha.digest(), hb.digest()])).toEqual([expected(a), expected(b)]);
  // A new stream after every other ended starts a new thread.
  const d = chunks(5 << 20, 4);
  const hd = new Sha256();
  for (const x of d) hd.update(x);
  expect(await hd.digest()).toBe(expected(d));
});
