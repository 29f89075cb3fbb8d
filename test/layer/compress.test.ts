/** Compressing a layer on this thread: the blob depends on the bytes only, never on timing or on how. */
import { expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Ingest } from "../../src/core/ports/content.ts";
import { zlibReady } from "../../src/layer/compression.ts";
import { Compressing, writeLayer } from "../../src/layer/write.ts";
import { zstd } from "../../src/runtime/bun/zstd.ts";

function hashingBlob(): Ingest {
  const h = createHash("sha256");
  let size = 0;
  return {
    write(c) {
      h.update(c);
      size += c.length;
    },
    commit: async () => ({ digest: `sha256:${h.digest("hex")}`, size }),
    abort() {},
  };
}

test("the same tar gives the same blob however its chunks are timed", async () => {
  await zlibReady();
  // Bun's zstd stream, given chunks that queued up together, made other bytes. Long
  // matches across chunks show it: a random MiB again and again, each time shorter.
  const r = randomBytes(1 << 20);
  const chunks = Array.from({ length: 6 }, (_, i) => {
    const c = new Uint8Array(1 << 20);
    c.set(r.subarray(0, (1 << 20) - 333 * i));
    return c;
  });
  for (const [compression, native] of [["zstd", false], ["zstd", true], ["gzip", false]] as const) {
    const digests = new Set<string>();
    for (const pause of [0, 0, 1, 3]) {
      const out = new Compressing(compression, hashingBlob(), undefined, native ? zstd() : undefined);
      for (const c of chunks) {
        await out.write(c);
        if (pause) await Bun.sleep(pause);
      }
      digests.add((await out.finish()).digest);
    }
    expect(digests.size, `${compression}${native ? " (libzstd)" : ""}`).toBe(1);
  }
});

test("a small gzip layer made in one native call is the stream's blob, byte for byte", async () => {
  const dir = mkdtempSync(`${tmpdir()}/strata-gzip-`);
  try {
    const entry = (path: string, size: number) => ({
      path, type: "file" as const, mode: 0o644, uid: 0, gid: 0, size, mtimeNs: 1_700_000_000_000_000_000n,
      linkname: "", devmajor: 0, devminor: 0, xattrs: new Map<string, Uint8Array>(),
    });
    const changes = [0, 1, 2].map((i) => {
      const bytes = i === 2 ? new Uint8Array(0) : randomBytes(100_000 * (i + 1));
      writeFileSync(`${dir}/f${i}`, bytes);
      return { entry: entry(`f${i}`, bytes.length), source: `${dir}/f${i}` };
    });
    let called = 0;
    const native = (b: Uint8Array) => (called++, Bun.gzipSync(b as Uint8Array<ArrayBuffer>, { level: 6 }));
    await zlibReady();
    const viaStream = await writeLayer(changes, "gzip", hashingBlob());
    const inOne = await writeLayer(changes, "gzip", hashingBlob(), undefined, { gzip: native });
    expect(called).toBe(1);
    expect(inOne).toEqual(viaStream);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
