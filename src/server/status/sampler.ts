/**
 * Usage over time: the daemon takes a sample at start, every minute, and after each GC
 * run, and keeps it in the store (which keeps the newest day's worth, core/status.ts).
 * One sample at a time: asked again while one is being taken, it takes one more after,
 * so a sample asked for after a GC never reflects the store from before it.
 */
import type { Service } from "../../api/service.ts";
import type { StatusStore, UsageSample } from "../../core/status.ts";
import type { Log } from "../log.ts";

export interface Sampler {
  /** Takes a sample now (or right after the one being taken); resolves when stored. */
  now(): Promise<void>;
  stop(): Promise<void>;
}

/** Usage now, as `du` counts it, with the filesystem beside it. */
export async function usageNow(svc: Pick<Service, "du" | "filesystem">, at = Date.now()): Promise<UsageSample> {
  const { records, totals } = await svc.du({});
  const fs = svc.filesystem();
  return {
    at, records: records.length, used: totals.total, reclaimable: totals.reclaimable,
    metadata: totals.metadata, content: totals.content, fsSize: fs.size, fsFree: fs.free,
  };
}

export function startSampler(
  take: () => Promise<UsageSample>,
  store: Pick<StatusStore, "addSample">,
  d: { log: Log; everyMs?: number },
): Sampler {
  let running: Promise<void> | undefined;
  let again: Promise<void> | undefined;
  let stopped = false;

  const once = async () => {
    try {
      await store.addSample(await take());
    } catch (err) {
      d.log("error", "taking a usage sample failed", { error: String(err) });
    }
  };
  const now = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) return (again ??= running.then(() => ((again = undefined), now())));
    running = once().finally(() => (running = undefined));
    return running;
  };

  const timer = setInterval(now, d.everyMs ?? 60_000);
  void now();
  return {
    now,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await again;
      await running;
    },
  };
}
