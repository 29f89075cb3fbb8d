/**
 * hugeArena: long work asks for huge pages on mimalloc's arena, found in the process's
 * memory map as its one 1 GiB anonymous read-write mapping; anything else, it asks nothing.
 */
import { expect, test } from "bun:test";
import { arenaOf, hugeArena } from "../../src/runtime/bun/arena.ts";

const GiB = 2 ** 30;
const line = (start: number, size: number, perms = "rw-p", rest = "00000000 00:00 0") =>
  `${start.toString(16)}-${(start + size).toString(16)} ${perms} ${rest}`;

test("the arena is the one anonymous rw-p mapping of exactly 1 GiB", () => {
  const maps = [
    line(0x200000, 78 * 2 ** 20, "r-xp", "01838000 fe:00 2147202    /usr/bin/strata"),
    line(0x59108000000, GiB),
    line(0x7f0400000000, 4 * GiB), // JSC's heap
    line(0x7f056a1d2000, GiB, "rwxp"), // JIT code
    line(0x7f0600000000, GiB, "rw-p", "00000000 fe:00 77    /tmp/a-file"),
  ].join("\n");
  expect(arenaOf(maps)).toEqual({ start: 0x59108000000n, size: BigInt(GiB) });
});

test("none, or two alike, and nothing is taken for the arena", () => {
  expect(arenaOf(line(0x1000, 2 * GiB))).toBeUndefined();
  expect(arenaOf([line(0x40000000, GiB), line(0x80000000, GiB)].join("\n"))).toBeUndefined();
});

test("in a fresh process (Bun's mimalloc), the arena is found and advised once; STRATA_NO_HUGEPAGES=1 never", () => {
  // A child of its own: tests that extract layers in this process have asked already.
  const script = `
    import { readFileSync } from "node:fs";
    import { arenaOf, hugeArena } from ${JSON.stringify(`${import.meta.dir}/../../src/runtime/bun/arena.ts`)};
    const flags = (start) => {
      const smaps = readFileSync("/proc/self/smaps", "utf8").split("\\n");
      const at = smaps.findIndex((l) => l.startsWith(start.toString(16) + "-"));
      return /\\bhg\\b/.test(smaps.slice(at).find((l) => l.startsWith("VmFlags:")) ?? "");
    };
    const arena = arenaOf(readFileSync("/proc/self/maps", "utf8"));
    const before = flags(arena.start);
    const first = hugeArena(), after = flags(arena.start), second = hugeArena();
    console.log(JSON.stringify({ size: Number(arena.size), before, first, after, second }));
  `;
  // mimalloc's own settings (huge pages, reserves) would change the arena: Bun's defaults.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MIMALLOC_") && k !== "STRATA_NO_HUGEPAGES"));
  const run = (extra: Record<string, string> = {}) => {
    const r = Bun.spawnSync([process.execPath, "-e", script], { env: { ...env, ...extra } });
    expect(r.stderr.toString()).toBe("");
    return JSON.parse(r.stdout.toString());
  };
  expect(run()).toEqual({ size: GiB, before: false, first: true, after: true, second: false });
  expect(run({ STRATA_NO_HUGEPAGES: "1" })).toEqual({ size: GiB, before: false, first: false, after: false, second: false });
});
