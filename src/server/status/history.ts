/**
 * The prune and GC history (core/status.ts `PruneRun`), written by the daemon where it
 * knows what started a run: each automatic GC policy from the GC scheduler (gc.ts
 * `GcWatch`), each prune someone asked for as its results stream out of the HTTP app.
 * A dry run frees nothing and is not history, nor is a prune refused for its input (a
 * filter with a typo): it never ran. Prunes a CLI runs while no daemon is up do not pass
 * here and are not recorded.
 */
import { codeOf } from "../../core/errors.ts";
import { type NewRun, runOptions, type StatusStore } from "../../core/status.ts";
import type { GcWatch } from "../gc.ts";
import type { Log } from "../log.ts";

interface Item {
  id?: string;
  size?: number;
  summary?: { records: number; bytes: number };
}

export interface History {
  /** For gc.ts: one row per policy run. */
  gc: Pick<GcWatch, "policyRan">;
  /** For the app: a prune's results, passed on unchanged and counted; recorded when they end. */
  prune(raw: unknown, items: AsyncIterable<unknown>): AsyncIterable<unknown>;
}

export function history(store: Pick<StatusStore, "addRun">, log: Log): History {
  const add = (r: NewRun) =>
    store.addRun(r).catch((err) => log("error", "recording a prune in the status history failed", { error: String(err) }));

  return {
    gc: {
      policyRan: (run) => void add({ ...run, trigger: "gc", options: runOptions(run.options), error: run.error ?? null }),
    },
    prune(raw, items) {
      if ((raw as { dryRun?: unknown })?.dryRun === true) return items;
      return (async function* () {
        const startedAt = Date.now();
        let records = 0, bytes = 0;
        let error: string | null = null;
        let refused = false;
        try {
          for await (const item of items as AsyncIterable<Item>) {
            if (item.summary) ({ records, bytes } = item.summary);
            else if (item.id) (records++, bytes += item.size ?? 0);
            yield item;
          }
        } catch (err) {
          error = String((err as Error)?.message ?? err);
          refused = codeOf(err) === "usage" && records === 0;
          throw err;
        } finally {
          // A client that hangs up stops the prune: what it freed until then is history too.
          if (!refused) await add({ trigger: "prune", policy: null, options: runOptions(raw), startedAt, finishedAt: Date.now(), records, bytes, error });
        }
      })();
    },
  };
}
