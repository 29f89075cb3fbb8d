/**
 * Build step for the compiled binary (compile.ts): turns on mimalloc's `allow_thp`
 * option by default, so the allocator's arena is backed by 2 MiB pages.
 *
 * Why: on a VM whose page tables the hypervisor shadows, each first touch of a 4 KiB page
 * costs ~18 µs. A CLI call touches ~1,400 fresh allocator pages, a third of its time;
 * with huge pages, `new --parent` drops from ~66 to ~47 ms and `version` from ~27 to
 * ~19 ms. Bun leaves the option off, and mimalloc reads it from `MIMALLOC_ALLOW_THP`
 * when the process starts, before any of strata's code runs, so the binary's default is
 * changed instead. The environment still wins: `MIMALLOC_ALLOW_THP=0` turns it off.
 *
 * How: mimalloc keeps its options in a table of `{ long value; int init; int option;
 * const char* name; const char* legacy }`. The entry is the one whose name pointer holds
 * the address of the string "allow_thp"; its value is set to 1. Bun's binary is not
 * position-independent (ELF type EXEC), so that address is in the file as it will be in
 * memory; a PIE binary would hold a relocation there, and is left alone.
 */

const NAME = new TextEncoder().encode("\0allow_thp\0");

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

/**
 * Sets the default of mimalloc's `allow_thp` to 1 in an ELF binary's bytes, in place, and
 * returns where: the entry's offset, whose first 8 bytes are the value. Returns undefined,
 * changing nothing, unless exactly one such entry is found, its default 0.
 */
export function allowHugePages(binary: Uint8Array): number | undefined {
  const elf = new DataView(binary.buffer, binary.byteOffset, binary.byteLength);
  // A 64-bit little-endian ELF executable, not position-independent.
  if (binary.length < 64 || elf.getUint32(0, false) !== 0x7f454c46) return undefined;
  if (elf.getUint8(4) !== 2 || elf.getUint8(5) !== 1 || elf.getUint16(16, true) !== 2) return undefined;
  const segs = segments(elf);
  const toVaddr = (offset: number) => {
    const s = segs.find((s) => offset >= s.offset && offset < s.offset + s.size);
    return s && s.vaddr + offset - s.offset;
  };
  const entries: number[] = [];
  for (let at = indexOf(binary, NAME); at >= 0; at = indexOf(binary, NAME, at + 1)) {
    const vaddr = toVaddr(at + 1);
    if (vaddr === undefined) continue;
    const pointer = new Uint8Array(8);
    new DataView(pointer.buffer).setBigUint64(0, BigInt(vaddr), true);
    for (let ref = indexOf(binary, pointer); ref >= 16; ref = indexOf(binary, pointer, ref + 1)) {
      const entry = ref - 16;
      const value = elf.getBigInt64(entry, true);
      const init = elf.getInt32(entry + 8, true);
      const option = elf.getInt32(entry + 12, true);
      if (value === 0n && init === 0 && option > 0 && option < 256) entries.push(entry);
    }
  }
  if (entries.length !== 1) return undefined;
  elf.setBigInt64(entries[0]!, 1n, true);
  return entries[0];
}
