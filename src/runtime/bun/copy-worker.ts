/**
 * The helper thread of `copyTree` on Bun: copies the files it is sent, in order.
 * `{ jobs }` adds files; `{}` asks for the end, answered with `{ error? }` (the first
 * failure, after which it copies nothing more).
 */
import { copyFile, type FileJob } from "../../snapshot/copy.ts";
import { sys } from "./sys.ts";
import { type WireError, toWire } from "../../platform/worker.ts";

declare const self: { onmessage: ((ev: MessageEvent) => void) | null; postMessage(m: unknown): void };

let failed: WireError | undefined;

self.onmessage = (ev: MessageEvent) => {
  const { jobs } = ev.data as { jobs?: FileJob[] };
  if (!jobs) return self.postMessage({ error: failed });
  if (failed) return;
  try {
    for (const job of jobs) copyFile(sys, job);
  } catch (err) {
    failed = toWire(err);
  }
};
