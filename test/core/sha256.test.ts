/**
 * The core's SHA-256 agrees with node:crypto across the padding boundaries: its plain
 * TypeScript one, and the native one Bun's runtime hands it.
 */
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { plainSha256Hex, sha256Hex } from "../../src/core/sha256.ts";
import "../../src/runtime/bun/index.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

test("the FIPS 180-4 examples", () => {
  for (const hash of [sha256Hex, (s: string) => plainSha256Hex(utf8(s))]) {
    expect(hash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hash("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
});

test("every length from 0 to 300 bytes, strings and bytes, as node:crypto", () => {
  for (let n = 0; n <= 300; n++) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 131 + n) & 0xff);
    const s = `sha256:${"ü".repeat(n % 7)}${"x".repeat(n)}`;
    expect(plainSha256Hex(bytes)).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(plainSha256Hex(utf8(s))).toBe(createHash("sha256").update(s).digest("hex"));
    expect(sha256Hex(bytes)).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(sha256Hex(s)).toBe(createHash("sha256").update(s).digest("hex"));
  }
});
