import { usage } from "./errors.ts";

/**
 * Durations as Go and buildctl write them (`90s`, `1h30m`, `24h`), plus `d` and `w`.
 * Returns milliseconds. `parseDuration("1h30m") === 5_400_000`.
 */
const unitMs: Record<string, number> = {
  ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3,
};

/**
 * Go's longest duration (2^63 - 1 ns, ~292 years), in ms. Past it, a hold's or lease's end
 * is no date at all (`lease create --expires 99999999999999999999d` failed on printing
 * it, and such a hold was stored as 8.6e27).
 */
const MAX_MS = 9_223_372_036_854;

export function parseDuration(text: string): number {
  const parts = text.trim().match(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g);
  if (!parts || parts.join("") !== text.trim()) {
    throw usage(`invalid duration "${text}" (use e.g. 30m, 24h, 7d)`);
  }
  let ms = 0;
  for (const part of parts) {
    const [, n, unit] = part.match(/(\d+(?:\.\d+)?)(\w+)/)!;
    ms += Number(n) * unitMs[unit!]!;
  }
  if (!(ms <= MAX_MS)) throw usage(`invalid duration "${text}" (longer than Go's longest, 2562047h47m16s)`);
  return Math.round(ms);
}

/** "3 hours ago", like docker's and buildctl's human durations. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const units: [number, string][] = [
    [365 * 86400, "year"], [30 * 86400, "month"], [7 * 86400, "week"],
    [86400, "day"], [3600, "hour"], [60, "minute"], [1, "second"],
  ];
  if (s < 1) return "Less than a second ago";
  for (const [size, name] of units) {
    if (s >= size) {
      const n = Math.floor(s / size);
      return n === 1 ? `About a${name === "hour" ? "n" : ""} ${name} ago` : `${n} ${name}s ago`;
    }
  }
  return "Less than a second ago";
}
