/** The walking thread of merges and diffs on Bun (see walk-worker.ts); Deno walks on one thread. */
import type { Change, Walker } from "../../layer/diff.ts";
import { fromWire, startWorker, type WireError } from "../../platform/worker.ts";

type Answer = { changes?: Change[]; error?: WireError };

export function walker(): Walker {
  const w = startWorker("runtime/bun/walk-worker.ts");
  let answered: ((a: Answer) => void) | undefined;
  w.onmessage = (ev: MessageEvent) => answered?.(ev.data as Answer);
  w.onerror = (ev: ErrorEvent) => answered?.({ error: { message: `walking thread failed: ${ev.message}` } });
  return {
    async walk(lower, upper, under) {
      const answer = new Promise<Answer>((r) => (answered = r));
      w.postMessage({ lower, upper, under });
      const { changes, error } = await answer;
      if (error) throw fromWire(error);
      return changes!;
    },
    close: () => w.terminate(),
  };
}
