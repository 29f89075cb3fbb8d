/**
 * What is mounted where, from `/proc/self/mountinfo` (every process of a mount namespace
 * sees the same table). Mount points come escaped (`\040` for a space, `\134` for a
 * backslash); they are given back as plain paths, as the kernel resolved them.
 */
import { readFileSync } from "node:fs";

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Every mount point, once per mount (a path mounted twice is listed twice). */
export function mountPoints(): string[] {
  let text: string;
  try {
    text = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return []; // no /proc: nothing we could have mounted either
  }
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const point = line.split(" ")[4];
    if (point) out.push(unescape(point));
  }
  return out;
}

/** Mount points strictly below `dir` (a real path, without a trailing slash). */
export function mountsUnder(dir: string): string[] {
  const prefix = `${dir}/`;
  return mountPoints().filter((p) => p.startsWith(prefix));
}
