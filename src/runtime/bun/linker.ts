/** Merging's helper thread on Bun (see link-worker.ts); Deno links on one thread. */
import type { Linker } from "../../layer/merge.ts";
import { fromWire, startWorker, type WireError } from "../../platform/worker.ts";

const BATCH = 64;

type Answer = { unmade: [string, string][]; error?: WireError };

export function linker(): Linker {
  const w = startWorker("runtime/bun/link-worker.ts");
  let batch: [string, string][] = [];
  let answered: ((a: Answer) => void) | undefined;
  let broken: string | undefined;
  w.onmessage = (ev: MessageEvent) => answered?.(ev.data as Answer);
  w.onerror = (ev: ErrorEvent) => {
    broken = `linking thread failed: ${ev.message}`;
    answered?.({ unmade: [], error: { message: broken } });
  };
  const flush = () => {
    if (!batch.length) return;
    w.postMessage({ links: batch });
    batch = [];
  };
  return {
    link(from, to) {
      batch.push([from, to]);
      if (batch.length >= BATCH) flush();
    },
    async drain() {
      flush();
      const answer = new Promise<Answer>((r) => (answered = r));
      if (broken) answered!({ unmade: [], error: { message: broken } });
      else w.postMessage({});
      const { unmade, error } = await answer;
      if (error) throw fromWire(error);
      return unmade;
    },
    close: () => w.terminate(),
  };
}
