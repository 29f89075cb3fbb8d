/**
 * Merge and diff records (SPEC §3.9–10, BuildKit's Merge/Diff). Both are committed at
 * once and materialized only when their directory is needed (layers.ts). Their inputs
 * are their parents, so they stay in use while the merge or diff exists.
 */
import { invalid } from "./errors.ts";
import { newId } from "./ids.ts";
import type { LayerDeps } from "./layers.ts";
import type { Tx } from "./ports/metadata.ts";
import { newRow, type RecordRow } from "./record.ts";
import { finalize, freeze, getImmutable } from "./refs.ts";

async function input(tx: Tx, ref: string, now: number): Promise<RecordRow> {
  return finalize(tx, await getImmutable(tx, ref, now));
}

/** Inputs flattened (a merge input contributes its own inputs), empty ones dropped. */
export async function merge(d: LayerDeps, refs: string[]): Promise<RecordRow> {
  const { row, inputs } = await d.store.write(async (tx) => {
    const now = d.clock.now();
    const flat: RecordRow[] = [];
    for (const ref of refs) {
      const r = await input(tx, ref, now);
      if (r.kind === "merge") {
        const ids = (await tx.links.parents([r.id])).get(r.id) ?? [];
        flat.push(...(await Promise.all(ids.map(async (id) => (await tx.records.get(id))!))));
      } else flat.push(r);
    }
    // Empty: a snapshot with nothing in it (a lazy layer is taken as not empty).
    const inputs: RecordRow[] = [];
    for (const r of flat) {
      if (r.lazy || r.kind === "merge" || r.kind === "diff" || !r.snapshot || !(await d.snapshots.empty(r.snapshot))) inputs.push(r);
    }
    if (inputs.length === 0) throw invalid("nothing to merge: every input is empty");
    if (inputs.length === 1) return { row: inputs[0]!, inputs };
    const row = newRow({ id: newId(), kind: "merge", mutable: false, createdAt: now });
    await tx.records.insert(row, inputs.map((r) => r.id));
    return { row, inputs };
  });
  await freeze(d, inputs);
  return row;
}

/** The ancestors of a record through single-parent layers, nearest first. */
async function ancestors(tx: Tx, id: string): Promise<RecordRow[]> {
  const out: RecordRow[] = [];
  for (let cur = (await tx.records.get(id))!; ;) {
    const ps = (await tx.links.parents([cur.id])).get(cur.id) ?? [];
    if (cur.kind !== "layer" || ps.length !== 1) return out;
    cur = (await tx.records.get(ps[0]!))!;
    out.push(cur);
  }
}

/**
 * The changes from LOWER to UPPER as a record; without UPPER, to an empty tree. When
 * LOWER is an ancestor of UPPER more than one layer down, a merge of per-layer diffs,
 * each of which exports as that layer's own blob.
 */
export async function diff(d: LayerDeps, lowerRef: string, upperRef?: string): Promise<RecordRow> {
  const pairs = await d.store.write(async (tx) => {
    const now = d.clock.now();
    const lower = await input(tx, lowerRef, now);
    const upper = upperRef ? await input(tx, upperRef, now) : undefined;
    if (upper) {
      const up = await ancestors(tx, upper.id);
      const at = up.findIndex((a) => a.id === lower.id);
      if (at > 0) {
        // lower … up[1], up[0], upper: one diff per layer.
        const chain = [...up.slice(0, at + 1).reverse(), upper];
        const pairs: [RecordRow, RecordRow][] = [];
        for (let i = 1; i < chain.length; i++) pairs.push([chain[i - 1]!, chain[i]!]);
        return pairs;
      }
    }
    return [[lower, upper] as [RecordRow, RecordRow | undefined]];
  });
  await freeze(d, pairs.flat());
  const diffs = await d.store.write(async (tx) => {
    const out: RecordRow[] = [];
    for (const [lo, up] of pairs) {
      const row = newRow({ id: newId(), kind: "diff", mutable: false, createdAt: d.clock.now() });
      await tx.records.insert(row, up ? [lo.id, up.id] : [lo.id]);
      out.push(row);
    }
    return out;
  });
  if (diffs.length === 1) return diffs[0]!;
  return merge(d, diffs.map((r) => r.id));
}
