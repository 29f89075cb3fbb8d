/**
 * Records and refs (SPEC §3 items 1–5): new, commit with a lazy twin, get with an
 * implicit commit, finalize, reopen, release. Each step is one transaction on the
 * metadata store; directory work happens between transactions while what it touches is
 * held by this process, so a crash at any point leaves rows recovery can finish.
 */
import { invalid, locked, notFound } from "./errors.ts";
import { newId } from "./ids.ts";
import { writing } from "./space.ts";
import type { Clock, Processes } from "./ports/host.ts";
import type { MetadataStore, Tx } from "./ports/metadata.ts";
import type { Snapshotter } from "./ports/snapshots.ts";
import type { ContentStore } from "./ports/content.ts";
import type { BlobRow } from "./ports/blobs.ts";
import { newRow, type RecordRow, type RecordType } from "./record.ts";

export const defaultHoldMs = 24 * 3600_000;

export interface Deps {
  store: MetadataStore;
  snapshots: Snapshotter;
  content: ContentStore;
  clock: Clock;
  processes: Processes;
  /** Owner of the holds handed to users: none for the CLI, the daemon's process for it. */
  holdOwner?: string | null;
}

export interface NewOptions {
  parent?: string;
  description?: string;
  type?: RecordType;
  retain?: boolean;
  holdMs?: number;
}

/** A REF is a record ID or `key:NAME`; only ready rows are visible. */
export async function resolve(tx: Tx, ref: string): Promise<RecordRow> {
  let id = ref;
  if (ref.startsWith("key:")) {
    const target = await tx.keys.get(ref.slice(4));
    if (!target) throw notFound(`key ${ref.slice(4)}`);
    id = target;
  }
  const row = await tx.records.get(id);
  if (!row || row.state !== "ready") throw notFound(`record ${ref}`);
  return row;
}

/** The immutable twin of a mutable row, without copying: both share one snapshot. */
async function twin(tx: Tx, m: RecordRow, now: number): Promise<RecordRow> {
  const row = newRow({
    id: newId(), kind: m.kind, mutable: false, createdAt: now, snapshot: m.snapshot, twin: m.id,
    description: m.description, recordType: m.recordType, shared: m.shared,
    cachePolicy: m.cachePolicy, usageCount: m.usageCount, lastUsedAt: m.lastUsedAt,
  });
  await tx.records.insert(row, (await tx.links.parents([m.id])).get(m.id) ?? []);
  return row;
}

/**
 * BuildKit's get: an immutable record as is; a mutable one nobody holds is committed
 * implicitly (its twin returned); a held mutable one is locked.
 */
export async function getImmutable(tx: Tx, ref: string, now: number): Promise<RecordRow> {
  const r = await resolve(tx, ref);
  if (!r.mutable) return r;
  if ((await tx.holds.held([r.id])).size) throw locked(r.id);
  return (await tx.records.twinOf(r.id)) ?? twin(tx, r, now);
}

/**
 * Retires the mutable twin, so the snapshot belongs to the immutable record alone. Its
 * snapshot is committed after the transaction (`freeze`): no disk work under the lock.
 */
export async function finalize(tx: Tx, r: RecordRow): Promise<RecordRow> {
  if (!r.twin) return r;
  const m = await tx.records.get(r.twin);
  if (m) {
    if ((await tx.holds.held([m.id])).size) throw locked(m.id);
    await tx.records.delete([m.id]);
  }
  await tx.records.update([r.id], { twin: null });
  return { ...r, twin: null };
}

/** Commits the snapshots of finalized records (cheap, and a no-op when done before). */
export async function freeze(d: Pick<Deps, "snapshots">, rows: (RecordRow | undefined)[]): Promise<void> {
  for (const r of rows) if (r?.snapshot && !r.mutable && !r.twin) await d.snapshots.commit(r.snapshot);
}

/**
 * `work` on the immutable record `ref` (finalized first, SPEC §3.2, and frozen), held by
 * this process while it runs. Work that fails does not count as a use.
 */
export async function holding<T>(d: Deps, ref: string, work: (top: RecordRow) => Promise<T>): Promise<T> {
  const top = await d.store.write(async (tx) => {
    const r = await finalize(tx, await getImmutable(tx, ref, d.clock.now()));
    await tx.holds.add(r.id, d.processes.self, null);
    return r;
  });
  let done = false;
  try {
    await freeze(d, [top]);
    const out = await work(top);
    done = true;
    return out;
  } finally {
    await d.store.write((tx) => tx.holds.end({ records: [top.id], owner: d.processes.self, uncounted: done ? undefined : true }));
  }
}

export class Refs {
  private owner: string | null;
  constructor(private d: Deps) {
    this.owner = d.holdOwner ?? null;
  }

  /** A held mutable record, empty or on a committed parent's tree. */
  async create(opts: NewOptions): Promise<RecordRow> {
    const { store, snapshots, clock, processes } = this.d;
    const id = newId();
    const before = snapshots.version();
    const parent = await store.write(async (tx) => {
      let p: RecordRow | undefined;
      if (opts.parent !== undefined) {
        p = await finalize(tx, await getImmutable(tx, opts.parent, clock.now()));
        if (!p.snapshot) throw invalid(`record ${p.id} has no snapshot to build on`);
        await tx.holds.add(p.id, processes.self, null);
      }
      await tx.records.insert(newRow({
        id, kind: p ? "layer" : "base", mutable: true, createdAt: clock.now(), state: "creating",
        owner: processes.self, snapshot: id, description: opts.description ?? "",
        recordType: opts.type ?? "regular", cachePolicy: opts.retain ? "retain" : "default",
      }), p ? [p.id] : []);
      return p;
    });
    try {
      await freeze(this.d, [parent]);
      await snapshots.prepare(id, parent?.snapshot ?? undefined);
    } catch (err) {
      await snapshots.remove(id);
      await store.write(async (tx) => {
        await tx.records.delete([id]);
        if (parent) await tx.holds.end({ records: [parent.id], owner: processes.self, uncounted: true });
      });
      throw writing(this.d, err, parent ? `making a snapshot on record ${parent.id}` : "making a snapshot", parent?.size);
    }
    const after = snapshots.version();
    return store.write(async (tx) => {
      await tx.records.update([id], { state: "ready", owner: null });
      await tx.holds.add(id, this.owner, clock.now() + (opts.holdMs ?? defaultHoldMs));
      if (parent) await tx.holds.end({ records: [parent.id], owner: processes.self });
      await noteOwnChange(tx, before, after);
      return (await tx.records.get(id))!;
    });
  }

  /** Commits a mutable record: a twin, no copy. Ends the mutable record's holds. */
  async commit(id: string, opts: { holdMs?: number; key?: string } = {}): Promise<RecordRow> {
    const { store, clock } = this.d;
    return store.write(async (tx) => {
      const m = await resolve(tx, id);
      if (!m.mutable) throw invalid(`record ${m.id} is already committed`);
      await tx.holds.end({ records: [m.id] });
      const i = (await tx.records.twinOf(m.id)) ?? (await twin(tx, (await tx.records.get(m.id))!, clock.now()));
      if (opts.holdMs !== undefined) await tx.holds.add(i.id, this.owner, clock.now() + opts.holdMs);
      if (opts.key !== undefined) await tx.keys.set(opts.key, i.id);
      return i;
    });
  }

  /**
   * A read-only record for REF (get semantics), optionally held for a while; `use` runs
   * before the use is counted, so a use that fails (no room to materialize it) does not count.
   */
  async get(ref: string, opts: { holdMs?: number } = {}, use?: (r: RecordRow) => Promise<RecordRow>): Promise<RecordRow> {
    const { store, clock } = this.d;
    const held = opts.holdMs !== undefined;
    const r = await store.write(async (tx) => {
      const r = await getImmutable(tx, ref, clock.now());
      if (held) await tx.holds.add(r.id, this.owner, clock.now() + opts.holdMs!);
      return r;
    });
    let used;
    try {
      used = use ? await use(r) : r;
    } catch (err) {
      if (held) await store.write((tx) => tx.holds.end({ records: [r.id], owner: this.owner, handedOut: true, uncounted: true }));
      throw err;
    }
    if (!held) await store.write((tx) => tx.holds.touch([r.id]));
    return used;
  }

  /** The writable directory of a mutable record without a committed twin; holds it. */
  async writable(ref: string, opts: { holdMs?: number } = {}): Promise<RecordRow> {
    const { store, clock } = this.d;
    return store.write(async (tx) => {
      const r = await resolve(tx, ref);
      if (!r.mutable) throw invalid(`record ${r.id} is immutable; make a child with new --parent`);
      if (await tx.records.twinOf(r.id)) throw invalid(`record ${r.id} is committed; reopen it first`);
      const held = (await tx.holds.held([r.id])).size > 0;
      if (!held || opts.holdMs !== undefined) {
        await tx.holds.add(r.id, this.owner, clock.now() + (opts.holdMs ?? defaultHoldMs));
      }
      return r;
    });
  }

  /** BuildKit GetMutable: an unheld mutable record back, its committed twin deleted. */
  async reopen(id: string, opts: { holdMs?: number } = {}): Promise<RecordRow> {
    const { store, clock } = this.d;
    return store.write(async (tx) => {
      const r = await resolve(tx, id);
      if (!r.mutable) throw invalid(`record ${r.id} is immutable; only a mutable record can be reopened`);
      if ((await tx.holds.held([r.id])).size) throw locked(r.id);
      const t = await tx.records.twinOf(r.id);
      if (t) {
        if ((await tx.holds.held([t.id])).size || (await tx.links.children([t.id])).size) throw locked(t.id);
        await tx.records.delete([t.id]);
      }
      await tx.holds.add(r.id, this.owner, clock.now() + (opts.holdMs ?? defaultHoldMs));
      return r;
    });
  }

  /**
   * Ends the holds a user took on a record. A mutable record with the default policy
   * and no committed twin is then deleted, unless someone else still holds it.
   */
  async release(id: string): Promise<{ id: string; deleted: boolean }> {
    const { store, processes } = this.d;
    const doomed = await store.write(async (tx) => {
      const r = await resolve(tx, id);
      // Holds handed to users (by expiry, from any CLI or daemon) and this process's own;
      // not leases, and not the holds of other processes' work in progress.
      await tx.holds.end({ records: [r.id], handedOut: true });
      await tx.holds.end({ records: [r.id], owner: processes.self });
      if (!r.mutable || r.cachePolicy === "retain" || (await tx.records.twinOf(r.id))) return undefined;
      if ((await tx.holds.held([r.id])).size) return undefined;
      await markDeleting(tx, [r.id], processes.self);
      return r;
    });
    if (doomed) await removeMarked(this.d, [doomed]);
    return { id, deleted: doomed !== undefined };
  }
}

/** Marks rows for removal by `owner`: it finishes them (removeMarked), or recovery does once it is gone. */
export const markDeleting = (tx: Tx, ids: string[], owner: string) => tx.records.update(ids, { state: "deleting", owner });

/**
 * Finishes removing rows already marked `deleting`: each directory no other row uses is
 * renamed aside and deleted, then the rows go, and with them the blobs they refer to
 * (their own, and other compressions of their layers) that nothing else refers to.
 * Returns the bytes those blobs took. Safe to repeat after a crash.
 */
export async function removeMarked(
  d: Pick<Deps, "store" | "snapshots" | "content">,
  rows: RecordRow[],
  opts: { later?: Promise<void>[] } = {},
): Promise<number> {
  try {
    return await removeRows(d, rows, opts);
  } catch (err) {
    // Left to whoever starts next (recovery finishes removals of no live process), not
    // to this one, which may live on (a daemon) without coming back to them.
    await d.store.write((tx) => tx.records.update(rows.map((r) => r.id), { owner: null })).catch(() => {});
    throw err;
  }
}

async function removeRows(
  d: Pick<Deps, "store" | "snapshots" | "content">,
  rows: RecordRow[],
  opts: { later?: Promise<void>[] },
): Promise<number> {
  const ids = rows.map((r) => r.id);
  const dirs = [...new Set(rows.map((r) => r.snapshot).filter((s): s is string => s !== null))];
  const before = d.snapshots.version();
  const used = await d.store.read((tx) => tx.records.stillUsed(dirs, ids));
  for (const dir of dirs) {
    if (used.has(dir)) continue;
    // `later`: renamed aside now, deleted in the background; the caller awaits `later`.
    if (opts.later) opts.later.push(d.snapshots.drop(dir));
    else await d.snapshots.remove(dir);
  }
  const after = d.snapshots.version();
  const diffIDs = [...new Set(rows.map((r) => r.blobDiffID).filter((x): x is string => x !== null))];
  const blobs = await d.store.write(async (tx) => {
    await tx.records.delete(ids);
    await noteOwnChange(tx, before, after);
    return diffIDs.length ? unreferencedBlobs(tx, rows, diffIDs) : [];
  });
  let bytes = 0;
  for (const b of blobs) {
    bytes += d.content.stat(b.digest)?.size ?? 0;
    d.content.remove(b.digest);
  }
  return bytes;
}

/** The blobs of removed rows (their own and their layers' variants) nothing refers to now; their rows go. */
async function unreferencedBlobs(tx: Tx, rows: RecordRow[], diffIDs: string[]): Promise<BlobRow[]> {
  const candidates = new Map<string, BlobRow>();
  for (const diffID of diffIDs) for (const b of await tx.blobs.byDiffID(diffID)) candidates.set(b.digest, b);
  for (const r of rows) {
    if (r.blobDigest && !candidates.has(r.blobDigest)) {
      const b = await tx.blobs.get(r.blobDigest);
      if (b) candidates.set(b.digest, b);
    }
  }
  const referenced = await tx.blobs.referenced();
  const gone = [...candidates.values()].filter((b) => !referenced.has(b.digest));
  await tx.blobs.delete(gone.map((b) => b.digest));
  return gone;
}

/**
 * Start-up recovery compares the snapshot directory with the records only when the
 * directory changed behind our back; our own changes move the mark along with them.
 */
export const versionMark = "snapshots.version";

export async function noteOwnChange(tx: Tx, before: string, after: string): Promise<void> {
  if (before !== after && (await tx.meta.get(versionMark)) === before) await tx.meta.set(versionMark, after);
}
