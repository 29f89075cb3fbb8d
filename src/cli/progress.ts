/**
 * Progress for long transfers: bytes and rate on one rewritten stderr line, only on a
 * terminal and never with --json.
 */
import { humanSize } from "../core/units.ts";
import type { Parsed } from "./args.ts";
import { stderr, stderrIsTerminal } from "./io.ts";

/** A callback taking total bytes so far (-1 when done), or undefined when quiet. */
export function meter(verb: string, p: Parsed): ((bytes: number) => void) | undefined {
  if (p.globals.json || !stderrIsTerminal()) return undefined;
  const start = performance.now();
  let last = Number.NEGATIVE_INFINITY;
  let shown = false;
  return (bytes) => {
    const now = performance.now();
    if (bytes < 0) {
      if (shown) stderr("\r\x1b[K");
      return;
    }
    if (now - last < 100) return;
    last = now;
    shown = true;
    const rate = bytes / Math.max((now - start) / 1000, 0.001);
    stderr(`\r\x1b[K${verb} ${humanSize(bytes)} (${humanSize(rate)}/s)`);
  };
}
