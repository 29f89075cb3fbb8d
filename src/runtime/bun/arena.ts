/**
 * Huge pages for the allocator's arena, asked for when long work begins. On a VM that
 * reports free memory back to its host, a 2 MiB page taken after a second or two of
 * quiet is faulted in afresh by the host, ~3 ms a page: a CLI call touches ~15, so with
 * huge pages from the start (mimalloc's `allow_thp`) a call after a pause took ~40 ms
 * longer. But a fresh 4 KiB page costs ~18 µs there, and an import touches tens of
 * thousands: for it, 2 MiB pages still win (~17% of the 100 MB layer on tmpfs). So the
 * binary starts without them, and a CLI process asks for them on the arena when an
 * extraction starts (`MADV_HUGEPAGE`; the host's THP mode is `madvise`). Asked for only
 * once a layer proved big (its 256th file), they saved a third as many faults: what was
 * touched before stays on 4 KiB pages. The daemon never asks (api/open.ts): it answers
 * short requests after pauses for as long as it lives. `STRATA_NO_HUGEPAGES=1`: never.
 *
 * The arena is mimalloc's one 1 GiB anonymous rw-p mapping (JSC's heap is 4 GiB, its JIT
 * area 1 GiB but executable). Anything else found, nothing is asked.
 */
import { dlopen, FFIType } from "bun:ffi";
import { readFileSync } from "node:fs";

const MADV_HUGEPAGE = 14;
const ARENA = 2 ** 30;

/** The one anonymous `rw-p` mapping of exactly 1 GiB in a `/proc/PID/maps` text. */
export function arenaOf(maps: string): { start: bigint; size: bigint } | undefined {
  const found = [];
  for (const line of maps.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) rw-p 0+ 00:00 0\s*$/.exec(line);
    if (!m) continue;
    const start = BigInt(`0x${m[1]}`), end = BigInt(`0x${m[2]}`);
    if (end - start === BigInt(ARENA)) found.push({ start, size: end - start });
  }
  return found.length === 1 ? found[0] : undefined;
}

let asked = false;

/** Asks, once a process, for huge pages on the arena; true if the kernel took the advice. */
export function hugeArena(): boolean {
  if (asked || process.env.STRATA_NO_HUGEPAGES) return false;
  asked = true;
  try {
    const arena = arenaOf(readFileSync("/proc/self/maps", "utf8"));
    if (!arena) return false;
    const { symbols } = dlopen("libc.so.6", { madvise: { args: [FFIType.u64, FFIType.u64, FFIType.i32], returns: FFIType.i32 } });
    return symbols.madvise(arena.start, arena.size, MADV_HUGEPAGE) === 0;
  } catch {
    return false;
  }
}
