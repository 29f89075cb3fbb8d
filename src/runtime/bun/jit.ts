/** On Bun, functions marked per-entry stay out of JSC's top tier (see platform/jit.ts). */
import * as jsc from "bun:jsc";
import { setPerEntryMark } from "../../platform/jit.ts";

export function keepPerEntryQuick(): void {
  // bun:jsc is a debugging module: if a Bun release drops noFTL, nothing breaks.
  const noFTL = (jsc as { noFTL?: (fn: unknown) => unknown }).noFTL;
  if (typeof noFTL === "function") setPerEntryMark((fn) => void noFTL(fn));
}
