/**
 * The helper thread of merging on Bun (see layer/merge.ts): makes the hardlinks it is
 * sent, in order, replacing what is at each target. `{ links }` adds pairs; `{ drain }`
 * is answered with the links no link could make (EXDEV, EMLINK) and the first error.
 */
import { linkSync } from "node:fs";
import { remove } from "../../layer/nodes.ts";
import { type WireError, toWire } from "../../platform/worker.ts";

declare const self: { onmessage: ((ev: MessageEvent) => void) | null; postMessage(m: unknown): void };

let unmade: [string, string][] = [];
let failed: WireError | undefined;

function link(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "EXDEV" || code === "EMLINK") return void unmade.push([from, to]);
    if (code !== "EEXIST") throw err;
    remove(to);
    link(from, to);
  }
}

self.onmessage = (ev: MessageEvent) => {
  const { links } = ev.data as { links?: [string, string][] };
  if (!links) {
    self.postMessage({ unmade, error: failed });
    unmade = [];
    return;
  }
  if (failed) return;
  try {
    for (const [from, to] of links) link(from, to);
  } catch (err) {
    failed = toWire(err);
  }
};
