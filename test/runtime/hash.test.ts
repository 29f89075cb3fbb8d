/** A native hash fed in pieces gives what sha256sum and sha512sum give for the whole. */
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { hasher, hashHex } from "../../src/platform/hash.ts";

test("pieces of any size hash as the whole file does, for sha256 and sha512", () => {
  const dir = mkdtempSync(`${tmpdir()}/strata-hash-`);
  try {
    for (const size of [0, 1, 65_537, 3 << 20]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      writeFileSync(`${dir}/f`, bytes);
      for (const algorithm of ["sha256", "sha512"] as const) {
        const want = execFileSync(`${algorithm}sum`, [`${dir}/f`]).toString().split(" ")[0];
        const h = hasher(algorithm);
        for (let at = 0; at < size; at += 40_000) h.update(bytes.subarray(at, at + 40_000));
        expect(h.hex()).toBe(want!);
        expect(hashHex(algorithm, bytes)).toBe(want!);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
