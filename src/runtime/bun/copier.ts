/** `copyTree`'s helper thread on Bun (see copy-worker.ts); Deno copies on one thread. */
import type { Copier, FileJob } from "../../snapshot/copy.ts";
import { fromWire, startWorker, type WireError } from "../../platform/worker.ts";

const BATCH = 32;

export function copier(): Copier {
  const w = startWorker("runtime/bun/copy-worker.ts");
  const ended = new Promise<{ error?: WireError }>((resolve, reject) => {
    w.onmessage = (ev: MessageEvent) => resolve(ev.data);
    w.onerror = (ev: ErrorEvent) => reject(new Error(`copying thread failed: ${ev.message}`));
  });
  let batch: FileJob[] = [];
  return {
    add(job) {
      batch.push(job);
      if (batch.length < BATCH) return;
      w.postMessage({ jobs: batch });
      batch = [];
    },
    async finish() {
      if (batch.length) w.postMessage({ jobs: batch });
      w.postMessage({});
      try {
        const { error } = await ended;
        if (error) throw fromWire(error);
      } finally {
        w.terminate();
      }
    },
  };
}
