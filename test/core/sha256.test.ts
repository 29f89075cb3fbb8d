/** The small SHA-256 agrees with node:crypto, across the padding boundaries. */
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { sha256Hex } from "../../src/core/sha256.ts";

test("the FIPS 180-4 examples", () => {
  expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
});

test("every length from 0 to 300 bytes, strings and bytes, as node:crypto", () => {
  for (let n = 0; n <= 300; n++) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 131 + n) & 0xff);
    expect(sha256Hex(bytes)).toBe(createHash("sha256").update(bytes).digest("hex"));
    const s = `sha256:${"ü".repeat(n % 7)}${"x".repeat(n)}`;
    expect(sha256Hex(s)).toBe(createHash("sha256").update(s).digest("hex"));
  }
});
