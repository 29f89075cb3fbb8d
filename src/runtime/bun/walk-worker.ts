/**
 * The walking thread of merges and diffs on Bun (see layer/diff.ts): `{ lower, upper,
 * under }` is answered with `{ changes }` for those directories' contents, or `{ error }`.
 */
import { changes } from "../../layer/diff.ts";
import { sys } from "./sys.ts";
import { toWire } from "../../platform/worker.ts";

declare const self: { onmessage: ((ev: MessageEvent) => void) | null; postMessage(m: unknown): void };

self.onmessage = (ev: MessageEvent) => {
  const { lower, upper, under } = ev.data as { lower?: string; upper: string; under: [string, boolean][] };
  try {
    self.postMessage({ changes: [...changes(sys, lower, upper, { fileXattrs: false, linkOnly: true, under })] });
  } catch (err) {
    self.postMessage({ error: toWire(err) });
  }
};
