import { usage } from "./errors.ts";

/**
 * Byte sizes: plain bytes, decimal units (`512MB`, MB = 10^6), binary units (`10GiB`),
 * or a percentage of a filesystem (`20%`, needs `fsSize`).
 */
const factors: Record<string, number> = {
  "": 1, b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, pb: 1e15,
  k: 1e3, m: 1e6, g: 1e9, t: 1e12,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, pib: 2 ** 50,
};

export function parseSize(text: string, fsSize?: number): number {
  const m = text.trim().match(/^(\d+(?:\.\d+)?)\s*([a-zA-Z]*|%)$/);
  const unit = m?.[2]?.toLowerCase();
  if (!m || unit === undefined || (unit !== "%" && !(unit in factors))) {
    throw usage(`invalid size "${text}" (use bytes, 512MB, 10GiB or 20%)`);
  }
  const n = Number(m[1]);
  if (unit === "%") {
    // `150%` frees or keeps nothing more than `100%` would: a typo, not a wish to prune all.
    if (n > 100) throw usage(`invalid size "${text}" (a percentage of the filesystem is at most 100%)`);
    if (fsSize === undefined) throw usage(`a percentage needs a filesystem: "${text}"`);
    return Math.floor((fsSize * n) / 100);
  }
  return Math.floor(n * factors[unit]!);
}

/** `1.234GB`: decimal units with four significant digits, like buildctl du. */
export function humanSize(bytes: number): string {
  const names = ["B", "kB", "MB", "GB", "TB", "PB"];
  let n = bytes;
  let i = 0;
  while (n >= 1000 && i < names.length - 1) {
    n /= 1000;
    i++;
  }
  return `${Number(n.toPrecision(4))}${names[i]}`;
}
