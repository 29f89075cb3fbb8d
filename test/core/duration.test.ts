import { describe, expect, test } from "bun:test";
import { ago, parseDuration } from "../../src/core/duration.ts";

describe("parseDuration", () => {
  test("reads Go-style durations and days", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("24h")).toBe(86_400_000);
    expect(parseDuration("7d")).toBe(7 * 86_400_000);
    expect(parseDuration("250ms")).toBe(250);
  });
  test("goes as far as Go's durations do (~292 years), no further", () => {
    expect(parseDuration("2562047h")).toBe(2_562_047 * 3_600_000);
    for (const long of ["2562048h", "15251w", "99999999999999999999d"]) {
      expect(() => parseDuration(long)).toThrow(`invalid duration "${long}" (longer than Go's longest, 2562047h47m16s)`);
    }
  });
  test("rejects anything else as a usage error", () => {
    for (const bad of ["", "5", "5x", "h", "1h 2m", "-1h"]) {
      expect(() => parseDuration(bad)).toThrow(expect.objectContaining({ code: "usage" }));
    }
  });
});

describe("ago", () => {
  test("reads like docker's human durations", () => {
    expect(ago(0)).toBe("Less than a second ago");
    expect(ago(3 * 3600_000)).toBe("3 hours ago");
    expect(ago(3600_000)).toBe("About an hour ago");
    expect(ago(2 * 86400_000)).toBe("2 days ago");
  });
});
