/**
 * Progress of a registry transfer: one rewritten stderr line naming the blob that moved
 * last, its bytes so far, and the total over every blob seen. Only on a terminal and
 * never with --json, as progress.ts's meter.
 */
import { humanSize } from "../core/units.ts";
import type { Parsed } from "./args.ts";
import { stderr, stderrIsTerminal } from "./io.ts";

export type BlobMeter = (update?: { blob: string; bytes: number; size: number }) => void;

/** A callback for each blob's progress (called without one when done), or undefined when quiet. */
export function blobMeter(verb: string, p: Parsed): BlobMeter | undefined {
  if (p.globals.json || !stderrIsTerminal()) return undefined;
  const blobs = new Map<string, { bytes: number; size: number }>();
  let last = Number.NEGATIVE_INFINITY;
  let shown = false;
  return (update) => {
    if (!update) {
      if (shown) stderr("\r\x1b[K");
      return;
    }
    blobs.set(update.blob, update);
    const now = performance.now();
    if (now - last < 100) return;
    last = now;
    shown = true;
    let bytes = 0, size = 0;
    for (const b of blobs.values()) (bytes += b.bytes), (size += b.size);
    const blob = `${update.blob.slice(7, 19)} ${humanSize(update.bytes)}/${humanSize(update.size)}`;
    stderr(`\r\x1b[K${verb} ${blob} (${blobs.size} blobs, ${humanSize(bytes)} of ${humanSize(size)})`);
  };
}
