/**
 * Prune: plan on one consistent read (plan.ts), then remove in small transactions so
 * other commands keep working, re-checking each batch under the write lock. Yields each
 * removed record as it goes.
 */
import type { Deps } from "./refs.ts";
import { markDeleting, removeMarked } from "./refs.ts";
import { hasSpaceTarget, plan, type Policy } from "./plan.ts";
import type { Record } from "./record.ts";
import { turn } from "./turn.ts";
import { describeAll } from "./usage.ts";

export interface PruneOptions extends Policy {
  dryRun?: boolean;
  /** Filesystem free bytes, needed for minFreeSpace. */
  free?: () => number;
}

// Small enough that removed records stream out steadily and each write lock is brief;
// large enough that per-batch work stays a small part of the cost.
const batchSize = 250;



/** The bytes of blobs prune removed with the records that referred to them, reported last. */
export interface BlobsFreed {
  blobBytes: number;
}

export async function* prune(d: Deps, opts: PruneOptions = {}): AsyncGenerator<Record | BlobsFreed> {
  const now = d.clock.now();
  const records = await describeAll(d);
  await turn();
  const used = records.reduce((n, r) => n + r.size, 0);
  const free = hasSpaceTarget(opts) && opts.free ? opts.free() : 0;
  const order = plan(records, opts, now, { used, free });
  const byId = new Map(records.map((r) => [r.id, r]));
  const deleting: Promise<void>[] = [];
  let blobBytes = 0;

  for (let i = 0; i < order.length; i += batchSize) {
    const ids = order.slice(i, i + batchSize);
    if (opts.dryRun) {
      yield* ids.map((id) => byId.get(id)!);
      continue;
    }
    const marked = await d.store.write(async (tx) => {
      // Held or given a child since the plan was made: it stays, and so do its parents.
      const busy = await tx.holds.inUse(ids);
      const kids = await tx.links.children(ids);
      let ok = (await tx.records.ready(ids)).filter((r) => !busy.has(r.id));
      // A committed record's mutable twin goes with it.
      const twinOf = new Map(ok.filter((r) => r.twin).map((r) => [r.twin!, r.id]));
      for (let size = -1; size !== ok.length;) {
        size = ok.length;
        const going = new Set(ok.map((r) => r.id));
        const gone = (c: string) => going.has(c) || going.has(twinOf.get(c) ?? "");
        ok = ok.filter((r) => (kids.get(r.id) ?? []).every(gone));
      }
      const twins = await tx.records.ready(ok.map((r) => r.twin).filter((t): t is string => t !== null));
      const all = [...ok, ...twins];
      await markDeleting(tx, all.map((r) => r.id), d.processes.self);
      return all;
    });
    blobBytes += await removeMarked(d, marked, { later: deleting });
    const gone = new Set(marked.map((r) => r.id));
    yield* ids.filter((id) => gone.has(id)).map((id) => byId.get(id)!);
    await turn();
  }
  // The records are gone once their directories are in the trash; the deletions ran
  // beside the work above, and the space is free when prune returns.
  await Promise.all(deleting);
  if (!opts.dryRun) await d.snapshots.sweep();
  yield { blobBytes };
}
