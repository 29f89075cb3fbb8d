/**
 * Automatic GC: the policy list run in order, at start, on a timer and after writes;
 * at most once a minute and never two runs at once. Each removed record is logged.
 */
import type { RawPolicy } from "./config.ts";
import type { Log } from "./log.ts";
import type { Metrics } from "./metrics.ts";

export interface GcScheduler {
  /**
   * Asks for a run; it happens now or as soon as the once-a-minute rule allows. Asked
   * during a run, it runs once more after it.
   */
  request(): void;
  /** Runs now unless one is running; resolves when done. */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs one prune with a policy's raw input, yielding what it removed and a summary. */
export type PruneRunner = (name: "prune", raw: unknown) => AsyncIterable<unknown>;

/** Told of each policy's run and of each whole run's end (the status page's history and samples). */
export interface GcWatch {
  policyRan(run: { policy: number; options: RawPolicy; startedAt: number; finishedAt: number; records: number; bytes: number; error?: string }): void;
  runDone(): void;
}

export function gcScheduler(
  prune: PruneRunner,
  policies: RawPolicy[],
  d: { log: Log; metrics: Metrics; minGapMs?: number; intervalMs?: number; watch?: GcWatch },
): GcScheduler {
  const minGap = d.minGapMs ?? 60_000;
  let running: Promise<void> | undefined;
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  // A write during a run may come after the run's plan was made: it earns one more run.
  let again = false;

  const run = async () => {
    last = Date.now();
    d.metrics.gcRuns++;
    let records = 0, bytes = 0;
    for (const [i, p] of policies.entries()) {
      d.metrics.pruneRuns++;
      const startedAt = Date.now(), before = { records, bytes };
      let error: string | undefined;
      try {
        for await (const item of prune("prune", p) as AsyncIterable<{ id?: string; size: number; description?: string }>) {
          if (!item.id) continue;
          records++;
          bytes += item.size;
          d.metrics.pruneRecords++;
          d.metrics.pruneBytes += item.size;
          d.log("info", "gc removed record", { policy: i, id: item.id, size: item.size, description: item.description });
        }
      } catch (err) {
        error = String((err as Error)?.message ?? err);
        throw err;
      } finally {
        const freed = { records: records - before.records, bytes: bytes - before.bytes };
        d.watch?.policyRan({ policy: i, options: p, startedAt, finishedAt: Date.now(), ...freed, error });
      }
    }
    d.log("info", "gc done", { records, bytes });
  };

  const start = (): Promise<void> => {
    if (!running) {
      running = run().catch((err) => d.log("error", "gc failed", { error: String(err) })).finally(() => {
        running = undefined;
        d.watch?.runDone();
        if (again) {
          again = false;
          request();
        }
      });
    }
    return running;
  };

  const request = () => {
    if (stopped || timer) return;
    if (running) return void (again = true);
    const wait = Math.max(0, last + minGap - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      if (running) again = true; // runNow began one meanwhile
      else void start();
    }, wait);
  };

  const interval = setInterval(request, d.intervalMs ?? 5 * 60_000);
  return {
    request,
    runNow: start,
    async stop() {
      stopped = true;
      clearInterval(interval);
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
