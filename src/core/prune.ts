/**
 * Prune (SPEC §3.12): which unheld records go, and in what order. A record goes only
 * after all its children went; a held record keeps its ancestors.
 */
import type { Deps } from "./refs.ts";
import { removeMarked } from "./refs.ts";
import { type Record, type RecordRow } from "./record.ts";
import { describe, visible } from "./usage.ts";

export interface PruneOptions {
  /** Also internal, frontend and shared records. */
  all?: boolean;
  dryRun?: boolean;
}

export interface Node {
  id: string;
  parents: string[];
  /** Held, or kept by policy: never removed, and keeps its ancestors. */
  keep: boolean;
}

/** Removable ids, children before parents. Pure: the whole decision on a graph. */
export function removalOrder(nodes: Node[]): string[] {
  const children = new Map<string, number>();
  for (const n of nodes) for (const p of n.parents) children.set(p, (children.get(p) ?? 0) + 1);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const order: string[] = [];
  let ready = nodes.filter((n) => !n.keep && !children.get(n.id));
  while (ready.length) {
    const next: Node[] = [];
    for (const n of ready) {
      order.push(n.id);
      for (const p of n.parents) {
        const left = children.get(p)! - 1;
        children.set(p, left);
        const parent = byId.get(p);
        if (left === 0 && parent && !parent.keep) next.push(parent);
      }
    }
    ready = next;
  }
  return order;
}

const batchSize = 500;

/** Removes what `removalOrder` picks, in small transactions, yielding each record. */
export async function* prune(d: Deps, opts: PruneOptions = {}): AsyncGenerator<Record> {
  const { rows, parents, held } = await d.store.read(async (tx) => {
    const rows = visible(await tx.allReady());
    const ids = rows.map((r) => r.id);
    return { rows, parents: await tx.parents(ids), held: await tx.inUse(ids) };
  });
  const keptType = (r: RecordRow) => r.recordType === "internal" || r.recordType === "frontend" || r.shared === 1;
  const order = removalOrder(rows.map((r) => ({
    id: r.id,
    parents: parents.get(r.id) ?? [],
    keep: held.has(r.id) || (!opts.all && keptType(r)),
  })));
  const byId = new Map(rows.map((r) => [r.id, r]));

  for (let i = 0; i < order.length; i += batchSize) {
    const ids = order.slice(i, i + batchSize);
    const described = await describe(d, ids.map((id) => byId.get(id)!));
    if (opts.dryRun) {
      yield* described;
      continue;
    }
    const marked = await d.store.write(async (tx) => {
      // Re-check under the lock: a record held or given a child since the plan was
      // made stays, and so do its parents.
      const busy = await tx.inUse(ids);
      const kids = await tx.children(ids);
      let ok = (await tx.records(ids)).filter((r) => !busy.has(r.id));
      // A committed record's mutable twin goes with it.
      const twinOf = new Map(ok.filter((r) => r.twin).map((r) => [r.twin!, r.id]));
      for (let size = -1; size !== ok.length;) {
        size = ok.length;
        const going = new Set(ok.map((r) => r.id));
        const gone = (c: string) => going.has(c) || going.has(twinOf.get(c) ?? "");
        ok = ok.filter((r) => (kids.get(r.id) ?? []).every(gone));
      }
      const twins = await tx.records(ok.map((r) => r.twin).filter((t): t is string => t !== null));
      const all = [...ok, ...twins];
      await tx.update(all.map((r) => r.id), { state: "deleting" });
      return all;
    });
    await removeMarked(d, marked);
    const gone = new Set(marked.map((r) => r.id));
    yield* described.filter((r) => gone.has(r.id));
  }
}
