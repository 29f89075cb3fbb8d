/** Export's helper thread: tar chunks handed over, hashed and compressed there; the blob stored here. */
import { expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import type { Ingest } from "../../src/core/ports/content.ts";
import { deflater } from "../../src/runtime/bun/deflater.ts";

const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** An Ingest that keeps what it is given. */
function memoryBlob(failOn = Infinity): Ingest & { bytes: () => Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    write(c) {
      if (parts.length >= failOn) throw Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC" });
      parts.push(new Uint8Array(c));
    },
    async commit() {
      const all = Buffer.concat(parts);
      return { digest: sha(all), size: all.length };
    },
    abort() {},
    bytes: () => Buffer.concat(parts),
  };
}

/** 9 MiB of mixed bytes in 1 MiB chunks (the last one short). */
function tar(): Uint8Array[] {
  const out: Uint8Array[] = [];
  let x = 7;
  for (let i = 0; i < 9; i++) {
    const c = new Uint8Array(i === 8 ? 123_457 : 1 << 20);
    for (let j = 0; j < c.length; j++) c[j] = j % 3 ? (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24 : i;
    out.push(c);
  }
  return out;
}

const kinds = [["gzip", false], ["zstd", true], ["zstd", false]] as const;
const named = (c: string, native: boolean) => (c === "gzip" ? c : native ? "zstd (libzstd)" : "zstd (node:zlib)");

for (const [c, native] of kinds) {
  const decompress = c === "gzip" ? gunzipSync : zstdDecompressSync;
  test(`${named(c, native)}: the diffID of what went in, the digest of what was stored, which decompresses to the input`, async () => {
    const chunks = tar();
    const input = Buffer.concat(chunks);
    const lengths = chunks.map((x) => x.length); // handed over, the chunks are emptied here
    const blob = memoryBlob();
    let progressed = 0;
    const out = deflater(c, blob, (n) => (progressed = n), native);
    const back: Uint8Array[] = [];
    for (const chunk of chunks) await out.write(chunk, (b) => back.push(b));
    const r = await out.finish();
    expect(r.diffID).toBe(sha(input));
    expect(r).toMatchObject({ digest: sha(blob.bytes()), size: blob.bytes().length });
    expect(Buffer.from(decompress(blob.bytes())).equals(input)).toBe(true);
    expect(progressed).toBe(input.length);
    // Every chunk came back, with its bytes, to be reused.
    expect(back.map((b) => b.length)).toEqual(lengths);
  });
}

test("a failure storing the blob comes back from write or finish", async () => {
  const out = deflater("gzip", memoryBlob(0));
  const attempt = async () => {
    for (const chunk of tar()) await out.write(chunk);
    await out.finish();
  };
  await expect(attempt()).rejects.toMatchObject({ code: "ENOSPC" });
  out.abort();
});

test("an aborted layer's thread frees its compressor and ends: nothing keeps the process alive", () => {
  const script = (native: boolean, abort: boolean) => `
    import { deflater } from ${JSON.stringify(`${import.meta.dir}/../../src/runtime/bun/deflater.ts`)};
    const blob = { write() {}, commit: async () => ({ digest: "", size: 0 }), abort: () => console.log("blob aborted") };
    const out = deflater("zstd", blob, undefined, ${native});
    for (let i = 0; i < 3; i++) await out.write(new Uint8Array(1 << 20).fill(i));
    ${abort ? "out.abort();" : ""}`;
  // Ending is waited for as long as a loaded machine may need; staying alive, for 3 s.
  const run = (native: boolean, abort: boolean) => {
    const p = Bun.spawnSync([process.execPath, "-e", script(native, abort)], { timeout: abort ? 30_000 : 3000 });
    return { exited: p.exitCode === 0, stdout: p.stdout.toString() };
  };
  expect(run(true, true)).toEqual({ exited: true, stdout: "blob aborted\n" });
  expect(run(false, true)).toEqual({ exited: true, stdout: "blob aborted\n" });
  expect(run(true, false).exited).toBe(false); // the thread alone does keep it alive
}, 90_000);

test("the same tar gives the same blob however its chunks are timed", async () => {
  // Long matches across chunks (a random MiB again and again, each time shorter) made
  // Bun's zstd stream give other bytes when chunks queued up together.
  const r = randomBytes(1 << 20);
  const tar = () => Array.from({ length: 6 }, (_, i) => {
    const c = new Uint8Array(1 << 20);
    c.set(r.subarray(0, (1 << 20) - 333 * i));
    return c;
  });
  for (const [c, native] of kinds) {
    const digests = new Set<string>();
    for (const pause of [0, 1, 3]) {
      const out = deflater(c, memoryBlob(), undefined, native);
      for (const chunk of tar()) {
        await out.write(chunk);
        if (pause) await Bun.sleep(pause);
      }
      digests.add((await out.finish()).digest);
    }
    expect(digests.size, named(c, native)).toBe(1);
  }
});
