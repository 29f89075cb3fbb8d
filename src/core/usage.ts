/**
 * Disk usage (SPEC §3.11): every record once (a twin pair shows as its immutable
 * half), sizes computed once and cached for immutable records, `inUse` propagated from
 * held records to their ancestors.
 */
import type { RecordCache } from "./cache.ts";
import { turn } from "./turn.ts";
import type { Deps } from "./refs.ts";
import { type Record, type RecordRow, toRecord } from "./record.ts";

/** The rows a user sees: a mutable row with a committed twin is hidden behind it. */
export function visible(rows: RecordRow[]): RecordRow[] {
  const twinned = new Set(rows.map((r) => r.twin).filter((t) => t !== null));
  return rows.filter((r) => !twinned.has(r.id));
}

/** Sizes of rows, computing and caching what is not cached yet. */
export async function sizes(d: Deps, rows: RecordRow[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const fresh: [string, number][] = [];
  for (const r of rows) {
    if (r.size !== null) out.set(r.id, r.size);
    else if (r.snapshot === null) out.set(r.id, 0);
    else {
      const size = await measure(d, r);
      out.set(r.id, size);
      if (!r.mutable) fresh.push([r.id, size]);
    }
  }
  if (fresh.length) {
    await d.store.write(async (tx) => {
      for (const [id, size] of fresh) await tx.records.update([id], { size });
    });
  }
  return out;
}

/** A snapshot's size now; a merge or diff shares inodes with its inputs and counts only its own. */
export async function measure(d: Deps, r: RecordRow): Promise<number> {
  const shared = r.kind === "merge" || r.kind === "diff" ? await ancestorSnapshots(d, r.id) : [];
  return d.snapshots.usage(r.snapshot!, shared);
}

/** Snapshot keys of every record a record is built from. */
async function ancestorSnapshots(d: Deps, id: string): Promise<string[]> {
  const keys = new Set<string>();
  const seen = new Set<string>([id]);
  let frontier = [id];
  while (frontier.length) {
    const parents = await d.store.read((tx) => tx.links.parents(frontier));
    frontier = [...parents.values()].flat().filter((p) => !seen.has(p));
    for (const p of frontier) seen.add(p);
    const rows = await d.store.read((tx) => tx.records.ready(frontier));
    for (const r of rows) if (r.snapshot) keys.add(r.snapshot);
  }
  return [...keys];
}

/** SPEC §2 JSON for rows, with parents, inUse and sizes filled in. */
export async function describe(d: Deps, rows: RecordRow[]): Promise<Record[]> {
  const ids = rows.map((r) => r.id);
  const size = await sizes(d, rows);
  const { parents, inUse } = await d.store.read(async (tx) => ({
    parents: await tx.links.parents(ids),
    inUse: await tx.holds.inUse(ids),
  }));
  const sharing = await d.store.read((tx) => tx.records.sharing(rows.map((r) => r.snapshot).filter((k): k is string => k !== null)));
  return rows.map((r) =>
    toRecord(r, {
      parents: parents.get(r.id) ?? [], inUse: inUse.has(r.id), size: size.get(r.id) ?? 0,
      sharing: r.snapshot ? sharing.get(r.snapshot) : undefined,
    })
  );
}

/** Visible records by the snapshot they share (twins are one record), first made first. */
export function bySnapshot(rows: RecordRow[]): Map<string, string[]> {
  const out = new Map<string, RecordRow[]>();
  for (const r of rows) {
    if (!r.snapshot) continue;
    const list = out.get(r.snapshot);
    if (list) list.push(r);
    else out.set(r.snapshot, [r]);
  }
  const ids = new Map<string, string[]>();
  for (const [key, list] of out) {
    if (list.length < 2) continue;
    list.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    ids.set(key, list.map((r) => r.id));
  }
  return ids;
}

/** Every visible record, described with whole-store queries rather than id lists. */
export async function describeAll(d: Deps): Promise<Record[]> {
  const { rows, links } = await d.store.read(async (tx) => ({
    rows: visible(await tx.records.allReady()),
    links: await tx.links.all(),
  }));
  await turn();
  // Sizes are cached on nearly every row: measure only the rest.
  const size = await sizes(d, rows.filter((r) => r.size === null));
  const inUse = await d.store.read((tx) => tx.holds.inUse());
  await turn();
  const parents = new Map<string, string[]>();
  const ordered = new Map<string, { position: number; parent: string }[]>();
  for (const l of links) {
    const list = ordered.get(l.child);
    if (list) list.push(l);
    else ordered.set(l.child, [l]);
  }
  for (const [child, list] of ordered) {
    if (list.length > 1) list.sort((a, b) => a.position - b.position);
    parents.set(child, list.map((l) => l.parent));
  }
  const sharing = bySnapshot(rows);
  return rows.map((r) =>
    toRecord(r, {
      parents: parents.get(r.id) ?? [], inUse: inUse.has(r.id), size: r.size ?? size.get(r.id) ?? 0,
      sharing: r.snapshot ? sharing.get(r.snapshot) : undefined,
    })
  );
}

/**
 * One record by ID, in a single query when its size is cached (the hot path of `info`).
 * With a cache, repeated calls between changes to the store cost one version check.
 */
export async function describeId(d: Deps, id: string, cache?: RecordCache): Promise<Record | undefined> {
  const version = cache ? await d.store.version() : "";
  const now = d.clock.now();
  const hit = cache?.get(id, version, now);
  if (hit) return hit;
  const v = await d.store.query((tx) => tx.records.view(id));
  if (!v) return undefined;
  const size = v.row.size ?? (await sizes(d, [v.row])).get(v.row.id) ?? 0;
  const record = toRecord(v.row, { parents: v.parents, inUse: v.inUse, size, sharing: v.sharing });
  // Computing an immutable record's size writes it: then the version moved, and this is not
  // cached. A mutable record's size is never written, and is cached for a moment (cache.ts).
  if (cache && (v.row.size !== null || v.row.mutable)) cache.set(record, version, v.heldUntil ?? Infinity, now);
  return record;
}

export interface Totals {
  total: number;
  reclaimable: number;
  shared: number;
  private: number;
  metadata: number;
  content: number;
}

export function totals(records: Record[], metadata: number, content: number): Totals {
  const t: Totals = { total: 0, reclaimable: 0, shared: 0, private: 0, metadata, content };
  for (const r of records) {
    t.total += r.size;
    if (!r.inUse) t.reclaimable += r.size;
    if (r.shared) t.shared += r.size;
    else t.private += r.size;
  }
  return t;
}
