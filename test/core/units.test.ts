import { describe, expect, test } from "bun:test";
import { humanSize, parseSize } from "../../src/core/units.ts";

describe("parseSize", () => {
  test("decimal and binary units", () => {
    expect(parseSize("512MB")).toBe(512e6);
    expect(parseSize("10GiB")).toBe(10 * 2 ** 30);
    expect(parseSize("1024")).toBe(1024);
    expect(parseSize("1.5kB")).toBe(1500);
  });
  test("percentages of a filesystem", () => {
    expect(parseSize("20%", 1000)).toBe(200);
    expect(parseSize("100%", 1000)).toBe(1000);
    expect(() => parseSize("20%")).toThrow();
    expect(() => parseSize("100.5%", 1000)).toThrow(expect.objectContaining({ code: "usage" }));
  });
  test("rejects nonsense", () => {
    expect(() => parseSize("12 parsecs")).toThrow(expect.objectContaining({ code: "usage" }));
    expect(() => parseSize("-1GB")).toThrow();
  });
});

test("humanSize prints four significant digits in decimal units", () => {
  expect(humanSize(0)).toBe("0B");
  expect(humanSize(1_234_567)).toBe("1.235MB");
  expect(humanSize(1_200_000_000)).toBe("1.2GB");
});
