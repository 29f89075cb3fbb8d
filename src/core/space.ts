/**
 * Failures while writing, told in SPEC §4's words: a full disk (ENOSPC, EDQUOT) is
 * *no space* (exit 9) and says what was being written, how much that needed if known,
 * and how much was free; any other system error names what was being written.
 */
import { isNoSpace, noSpace, type StrataError, systemError } from "./errors.ts";
import type { Snapshotter } from "./ports/snapshots.ts";
import { humanSize } from "./units.ts";

export function writing(d: { snapshots: Snapshotter }, err: unknown, what: string, needed?: number | null): StrataError {
  if (!isNoSpace(err)) return systemError(err, what, "error");
  let free = "";
  try {
    free = `${humanSize(d.snapshots.filesystem().free)} free`;
  } catch { /* the filesystem cannot say */ }
  const need = needed ? `needs about ${humanSize(needed)}` : "";
  const detail = [need, free].filter(Boolean).join(", ");
  return noSpace(`${what}: no space left on the device${detail ? ` (${detail})` : ""}`);
}
