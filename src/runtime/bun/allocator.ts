/**
 * Build step for the compiled binary (compile.ts): new defaults for two of mimalloc's
 * options, the allocator Bun links in.
 *
 * Why: on a VM whose page tables the hypervisor shadows, a first touch of a 4 KiB page
 * costs ~18 µs, and giving memory back (`madvise`) ~100 µs a call.
 * - `allow_thp` 0 → 1: the allocator's arena is backed by 2 MiB pages. A CLI call touched
 *   ~1,400 fresh arena pages, a third of its time: `new --parent` ~66 → ~47 ms. Where the
 *   VM hands free memory back to its host, a short call after a pause of ~2 s pays
 *   instead (~3 ms a huge page, ~40 ms a call); memory-heavy commands gain either way
 *   (`du` of 100,000 records ~0.55 s against ~1.5 s), so it stays on.
 * - `purge_delay` 100 → -1: freed memory is kept for reuse instead of returned to the
 *   system 100 ms later. An import made ~600 such calls and touched the memory afresh:
 *   ~430 → ~370 ms for the 100 MB layer. The daemon keeps what it freed as well; its long
 *   work runs in child processes (server/offload.ts).
 *
 * mimalloc reads its options from the environment (`MIMALLOC_ALLOW_THP`,
 * `MIMALLOC_PURGE_DELAY`) when the process starts, before any of strata's code runs, and
 * a binary cannot set its own environment: so the defaults in the binary are changed.
 * The environment still wins.
 *
 * How: mimalloc keeps its options in a table of `{ long value; int init; int option;
 * const char* name; const char* legacy }`. An option's entry is the one whose name pointer
 * holds the address of its name string. Bun's binary is not position-independent (ELF
 * type EXEC), so that address is in the file as it will be in memory; a PIE binary would
 * hold a relocation there, and is left alone.
 */

/** Each option changed: Bun's default, and strata's. */
export const DEFAULTS: { [name: string]: [from: bigint, to: bigint] } = {
  allow_thp: [0n, 1n],
  purge_delay: [100n, -1n],
};

/** Where `vaddr` lies in the file, from the ELF program headers' loaded segments. */
function segments(elf: DataView): { offset: number; vaddr: number; size: number }[] {
  const phoff = Number(elf.getBigUint64(0x20, true));
  const count = elf.getUint16(0x38, true);
  const out = [];
  for (let i = 0; i < count; i++) {
    const at = phoff + i * 56;
    if (elf.getUint32(at, true) !== 1) continue; // PT_LOAD
    out.push({
      offset: Number(elf.getBigUint64(at + 8, true)),
      vaddr: Number(elf.getBigUint64(at + 16, true)),
      size: Number(elf.getBigUint64(at + 32, true)),
    });
  }
  return out;
}

function indexOf(bytes: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(needle, from);
}

/** The offset of the one option entry named `name` whose value is `value`, if exactly one. */
function entryOf(binary: Uint8Array, elf: DataView, name: string, value: bigint): number | undefined {
  const segs = segments(elf);
  const toVaddr = (offset: number) => {
    const s = segs.find((s) => offset >= s.offset && offset < s.offset + s.size);
    return s && s.vaddr + offset - s.offset;
  };
  const string = new TextEncoder().encode(`\0${name}\0`);
  const found: number[] = [];
  for (let at = indexOf(binary, string); at >= 0; at = indexOf(binary, string, at + 1)) {
    const vaddr = toVaddr(at + 1);
    if (vaddr === undefined) continue;
    const pointer = new Uint8Array(8);
    new DataView(pointer.buffer).setBigUint64(0, BigInt(vaddr), true);
    for (let ref = indexOf(binary, pointer); ref >= 16; ref = indexOf(binary, pointer, ref + 1)) {
      const entry = ref - 16;
      const init = elf.getInt32(entry + 8, true);
      const option = elf.getInt32(entry + 12, true);
      if (elf.getBigInt64(entry, true) === value && init === 0 && option > 0 && option < 256) found.push(entry);
    }
  }
  return found.length === 1 ? found[0] : undefined;
}

/**
 * Sets strata's defaults (DEFAULTS) in an ELF binary's bytes, in place, and returns where
 * each value is: its offset, 8 bytes. Returns undefined, changing nothing, unless every
 * option has exactly one entry, holding Bun's default.
 */
export function allocatorDefaults(binary: Uint8Array): { [name: string]: number } | undefined {
  const elf = new DataView(binary.buffer, binary.byteOffset, binary.byteLength);
  // A 64-bit little-endian ELF executable, not position-independent.
  if (binary.length < 64 || elf.getUint32(0, false) !== 0x7f454c46) return undefined;
  if (elf.getUint8(4) !== 2 || elf.getUint8(5) !== 1 || elf.getUint16(16, true) !== 2) return undefined;
  const at: { [name: string]: number } = {};
  for (const [name, [from]] of Object.entries(DEFAULTS)) {
    const entry = entryOf(binary, elf, name, from);
    if (entry === undefined) return undefined;
    at[name] = entry;
  }
  for (const [name, [, to]] of Object.entries(DEFAULTS)) elf.setBigInt64(at[name]!, to, true);
  return at;
}
