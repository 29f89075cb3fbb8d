/**
 * Layers (SPEC §3.6–8): import a blob as a record (BuildKit's GetByBlob), extract lazy
 * records when first needed, and export a record's chain as blobs (GetRemotes).
 * Chain IDs identify content; blob chain IDs identify one compressed chain, so the same
 * blobs imported twice give the same record.
 */
import { blobChainID, chainID } from "./chain.ts";
import { integrity, invalid, missingBlob, notFound } from "./errors.ts";
import { newId } from "./ids.ts";
import { writing } from "./space.ts";
import type { BlobRow } from "./ports/blobs.ts";
import type { Locks } from "./ports/host.ts";
import type { Tx } from "./ports/metadata.ts";
import type { ContentStore } from "./ports/content.ts";
import type { LayerIO } from "./ports/layers.ts";
import type { Registry } from "./ports/registry.ts";
import { newRow, type RecordRow } from "./record.ts";
import { type Deps, finalize, freeze, getImmutable, noteOwnChange, removeMarked } from "./refs.ts";
import { fetchLazyBlob } from "./remote-blob.ts";

export interface LayerDeps extends Deps {
  layers: LayerIO;
  locks: Locks;
  /** Registries lazy remote records fetch their blobs from (made when first needed). */
  registry?: () => Promise<Registry>;
}

export interface ImportOptions {
  /** Opens the blob; called twice when `rewindable` (a digest pass, then the read). */
  open: () => AsyncIterable<Uint8Array>;
  rewindable: boolean;
  /** The blob's size when known up front: no stored blob of that size, no digest pass. */
  size?: number;
  parent?: string;
  mediaType?: string;
  lazy?: boolean;
  description?: string;
  expected?: { digest?: string; size?: number };
  progress?: (bytes: number) => void;
}

/**
 * The parent of a layer record: committed, finalized, and extracted when the layer is
 * (a lazy layer on a lazy parent keeps the whole chain lazy, as BuildKit's blob-only
 * chains: nothing is extracted until a tree is needed).
 */
async function parentFor(d: LayerDeps, ref: string, lazy: boolean): Promise<RecordRow> {
  const p = await d.store.write(async (tx) => {
    const r = await finalize(tx, await getImmutable(tx, ref, d.clock.now()));
    if (!r.chainID || !r.blobChainID) {
      throw invalid(`record ${r.id} has no layer chain yet; export it first, then import on top of it`);
    }
    await tx.holds.add(r.id, d.processes.self, null);
    return r;
  });
  await freeze(d, [p]);
  return lazy ? p : materialize(d, p);
}

export async function importBlob(d: LayerDeps, o: ImportOptions): Promise<RecordRow> {
  const parent = o.parent ? await parentFor(d, o.parent, o.lazy === true) : undefined;
  let done = false;
  // A failed import does not count as a use of its parent.
  const release = () =>
    parent ? d.store.write((tx) => tx.holds.end({ records: [parent.id], owner: d.processes.self, uncounted: done ? undefined : true })) : Promise.resolve();
  try {
    // A blob already known (same digest, diffID on record) needs no reading at all.
    const mightBeKnown = o.size === undefined || (await d.store.read((tx) => tx.blobs.anyOfSize(o.size!)));
    if (o.rewindable && mightBeKnown) {
      const digest = await d.layers.digest(o.open());
      if (o.expected?.digest && o.expected.digest !== digest) {
        throw integrity(`digest mismatch: expected ${o.expected.digest}, got ${digest}`);
      }
      const known = await d.store.read((tx) => tx.blobs.get(digest));
      if (known && d.content.has(digest)) {
        const same = await d.store.read((tx) => tx.records.byBlobChain(blobChainID(parent?.blobChainID ?? null, digest, known.diffID)));
        if (same) return (done = true), same;
      }
    }
    const row = o.lazy ? await importLazy(d, o, parent) : await importExtracted(d, o, parent);
    done = true;
    return row;
  } finally {
    await release();
  }
}

function layerRow(id: string, parent: RecordRow | undefined, o: ImportOptions, now: number) {
  return newRow({
    id, kind: parent ? "layer" : "base", mutable: false, createdAt: now, description: o.description ?? "",
  });
}

async function importLazy(d: LayerDeps, o: ImportOptions, parent?: RecordRow): Promise<RecordRow> {
  let r;
  try {
    r = await d.layers.read(o.open(), { store: true, expected: o.expected, progress: o.progress });
  } catch (err) {
    throw writing(d, err, "importing a layer: writing its blob", o.size);
  }
  return d.store.write(async (tx) => {
    const bcid = blobChainID(parent?.blobChainID ?? null, r.digest, r.diffID);
    const same = await tx.records.byBlobChain(bcid);
    if (same) {
      await tx.blobs.release([r.digest], d.processes.self);
      return same;
    }
    const mediaType = o.mediaType ?? d.layers.mediaType(r.compression);
    await keepBlob(d, tx, { digest: r.digest, mediaType, size: r.size, diffID: r.diffID });
    const row = {
      ...layerRow(newId(), parent, o, d.clock.now()),
      lazy: true, blobDigest: r.digest, blobMediaType: mediaType, blobSize: r.size, blobDiffID: r.diffID,
      chainID: chainID(parent?.chainID ?? null, r.diffID), blobChainID: bcid,
    };
    await tx.records.insert(row, parent ? [parent.id] : []);
    return row;
  });
}

async function importExtracted(d: LayerDeps, o: ImportOptions, parent?: RecordRow): Promise<RecordRow> {
  const id = newId();
  const before = d.snapshots.version();
  await d.store.write((tx) =>
    tx.records.insert({ ...layerRow(id, parent, o, d.clock.now()), state: "creating", owner: d.processes.self, snapshot: id }, parent ? [parent.id] : [])
  );
  let r;
  try {
    await d.snapshots.prepare(id, parent?.snapshot ?? undefined);
    r = await d.layers.read(o.open(), { dir: await d.snapshots.mount(id), store: true, expected: o.expected, progress: o.progress });
    await d.snapshots.commit(id);
  } catch (err) {
    // A failed extraction leaves no record and no directory.
    await d.snapshots.remove(id);
    await d.store.write((tx) => tx.records.delete([id]));
    throw writing(d, err, "importing a layer: writing its blob and its files", o.size);
  }
  const after = d.snapshots.version();
  const bcid = blobChainID(parent?.blobChainID ?? null, r.digest, r.diffID);
  const cid = chainID(parent?.chainID ?? null, r.diffID);
  const mediaType = o.mediaType ?? d.layers.mediaType(r.compression);
  const result = await d.store.write(async (tx) => {
    const same = await tx.records.byBlobChain(bcid);
    if (same) {
      await tx.blobs.release([r.digest], d.processes.self);
      await tx.records.update([id], { state: "deleting" });
      return { row: same, discard: true };
    }
    await keepBlob(d, tx, { digest: r.digest, mediaType, size: r.size, diffID: r.diffID });
    const patch = {
      state: "ready" as const, owner: null, blobDigest: r.digest, blobMediaType: mediaType, blobSize: r.size,
      blobDiffID: r.diffID, chainID: cid, blobChainID: bcid, size: r.treeSize ?? null,
    };
    // The same content under another compression: share its snapshot, drop ours.
    const twinContent = await tx.records.byChainWithSnapshot(cid);
    await tx.records.update([id], twinContent ? { ...patch, snapshot: twinContent.snapshot } : patch);
    await noteOwnChange(tx, before, after);
    return { row: (await tx.records.get(id))!, discard: false, dropDir: twinContent !== undefined };
  });
  if (result.discard) await removeMarked(d, [(await d.store.read((tx) => tx.records.get(id)))!]);
  else if (result.dropDir) await d.snapshots.remove(id);
  return result.row;
}

/**
 * Records a stored blob, and ends this process's hold on it (the content store took one
 * before the blob appeared): from now on what refers to it keeps it.
 */
export async function keepBlob(d: Pick<Deps, "processes">, tx: Tx, b: Omit<BlobRow, "createdAt">): Promise<void> {
  await tx.blobs.put(b);
  await tx.blobs.release([b.digest], d.processes.self);
}

/** Whether a record's snapshot is made, and nobody is making it. */
const made = (r: RecordRow) => r.snapshot !== null && !r.lazy && !r.owner;

/**
 * A record's snapshot, made now if it has none: a lazy layer is extracted (its parents
 * first), a merge or diff is built from its inputs' layers with hardlinks. One maker at
 * a time, in any process: the others wait on the record's lock (`Locks`), then find it
 * made. While it is made the row names the snapshot and its maker, so recovery can tell
 * a half-made snapshot from a finished one; a maker that died leaves the lock to the
 * next, which starts over. Locks are only taken on what a record is built from, so two
 * makers never wait on each other.
 */
export async function materialize(d: LayerDeps, r: RecordRow): Promise<RecordRow> {
  if (made(r)) return r;
  const lock = await d.locks.hold(r.id);
  try {
    // Most who waited find it made: a read says so without queueing for the write lock.
    const now = await d.store.read((tx) => tx.records.get(r.id));
    return now && now.state === "ready" && made(now) ? now : await make(d, r.id);
  } finally {
    lock.release();
  }
}

/** Makes a record's snapshot; the caller holds its lock. */
async function make(d: LayerDeps, id: string): Promise<RecordRow> {
  const key = newId();
  const self = d.processes.self;
  const claim = await d.store.write(async (tx) => {
    const now = await tx.records.get(id);
    if (!now || now.state !== "ready") throw notFound(`record ${id}`);
    if (made(now)) return { done: now };
    const shared = now.lazy && now.chainID ? await tx.records.byChainWithSnapshot(now.chainID) : undefined;
    if (shared && made(shared)) {
      await tx.records.update([id], { snapshot: shared.snapshot, lazy: false });
      return { done: (await tx.records.get(id))! };
    }
    // Under the lock, a maker named on the row died half way: its work is dropped.
    if (now.owner) await tx.holds.end({ records: [id], owner: now.owner });
    await tx.records.update([id], { snapshot: key, owner: self });
    // Held while it is made, so a prune running meanwhile leaves it (and its inputs) alone.
    await tx.holds.add(id, self, null);
    return { now, stale: now.owner ? now.snapshot : null };
  });
  if (claim.done) return claim.done;
  const row = claim.now!;
  if (claim.stale && !(await d.store.read((tx) => tx.records.stillUsed([claim.stale!], []))).has(claim.stale)) {
    await d.snapshots.remove(claim.stale);
  }
  try {
    if (row.kind === "merge" || row.kind === "diff") await build(d, row, key);
    else await extract(d, row, key);
    await d.snapshots.commit(key);
  } catch (err) {
    await d.snapshots.remove(key);
    await d.store.write(async (tx) => {
      await tx.records.update([id], { snapshot: null, owner: null });
      await tx.holds.end({ records: [id], owner: self, uncounted: true });
    });
    throw writing(d, err, row.kind === "merge" || row.kind === "diff" ? `making ${row.kind} ${id}` : `extracting record ${id}`, row.blobSize);
  }
  return d.store.write(async (tx) => {
    await tx.records.update([id], { lazy: false, owner: null, size: null });
    await tx.holds.end({ records: [id], owner: self });
    return (await tx.records.get(id))!;
  });
}

/** A record's parents, in order, read in one transaction. */
export async function parentsOf(d: LayerDeps, id: string): Promise<RecordRow[]> {
  return d.store.read(async (tx) => {
    const ids = (await tx.links.parents([id])).get(id) ?? [];
    return Promise.all(ids.map(async (p) => (await tx.records.get(p))!));
  });
}

/** A record's directory, made first if it has none yet. */
export async function dirOf(d: LayerDeps, r: RecordRow): Promise<string> {
  return d.snapshots.mount((await materialize(d, r)).snapshot!);
}

async function extract(d: LayerDeps, row: RecordRow, key: string) {
  const [p] = await parentsOf(d, row.id);
  const parent = p ? await materialize(d, p) : undefined;
  if (!row.blobDigest) throw missingBlob(`record ${row.id} is lazy and its blob is unknown`);
  // Not stored here: fetched from a registry it is known to live in (pull --lazy), or missing blob.
  if (!d.content.has(row.blobDigest)) await fetchLazyBlob(d, row);
  await d.snapshots.prepare(key, parent?.snapshot ?? undefined);
  const got = await d.layers.read(d.layers.open(row.blobDigest), { dir: await d.snapshots.mount(key), store: false, expected: { digest: row.blobDigest } });
  if (got.diffID !== row.blobDiffID) throw integrity(`blob ${row.blobDigest} has diffID ${got.diffID}, not ${row.blobDiffID}`);
}

/** The per-layer changes that make up a record, root first. */
async function steps(d: LayerDeps, r: RecordRow): Promise<{ lower?: string; upper: string }[]> {
  const ps = await parentsOf(d, r.id);
  if (r.kind === "merge") {
    const out = [];
    for (const p of ps) out.push(...(await steps(d, p)));
    return out;
  }
  if (r.kind === "diff") {
    const [lo, up] = ps as [RecordRow, RecordRow | undefined];
    return [{ lower: await dirOf(d, lo), upper: await dirOf(d, up ?? r) }];
  }
  const parent = ps[0];
  return parent ? [...(await steps(d, parent)), { lower: await dirOf(d, parent), upper: await dirOf(d, r) }] : [{ upper: await dirOf(d, r) }];
}

async function build(d: LayerDeps, row: RecordRow, key: string) {
  await d.snapshots.prepare(key);
  const dest = await d.snapshots.mount(key);
  if (row.kind === "merge") return d.layers.applySteps(dest, await steps(d, row), { deletions: true });
  // A diff's own tree: what UPPER added or changed over LOWER (deletions live only in its
  // layer); without UPPER it stays empty.
  const [lo, up] = await parentsOf(d, row.id);
  if (up) await d.layers.applySteps(dest, [{ lower: await dirOf(d, lo!), upper: await dirOf(d, up) }], { deletions: false });
}
