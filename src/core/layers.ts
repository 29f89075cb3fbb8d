/**
 * Layers (SPEC §3.6–8): import a blob as a record (BuildKit's GetByBlob), extract lazy
 * records when first needed, and export a record's chain as blobs (GetRemotes).
 * Chain IDs identify content; blob chain IDs identify one compressed chain, so the same
 * blobs imported twice give the same record.
 */
import { blobChainID, chainID } from "./chain.ts";
import { invalid, locked, StrataError } from "./errors.ts";
import { newId } from "./ids.ts";
import type { Compression, ContentStore, LayerIO } from "./ports.ts";
import { type Blob, newRow, type RecordRow } from "./record.ts";
import { type Deps, finalize, getImmutable, noteOwnChange, removeMarked, resolve } from "./refs.ts";

export interface LayerDeps extends Deps {
  content: ContentStore;
  layers: LayerIO;
}

export interface ImportOptions {
  /** Opens the blob; called twice when `rewindable` (a digest pass, then the read). */
  open: () => AsyncIterable<Uint8Array>;
  rewindable: boolean;
  parent?: string;
  mediaType?: string;
  lazy?: boolean;
  description?: string;
  expected?: { digest?: string; size?: number };
  progress?: (bytes: number) => void;
}

const blobOf = (r: RecordRow): Blob | null =>
  r.blobDigest ? { digest: r.blobDigest, mediaType: r.blobMediaType!, size: r.blobSize!, diffID: r.blobDiffID! } : null;

/** The parent of a layer record, ready to build on: committed, finalized, extracted. */
async function parentFor(d: LayerDeps, ref: string): Promise<RecordRow> {
  const p = await d.store.write(async (tx) => {
    const r = await finalize(tx, await getImmutable(tx, ref, d.clock.now()));
    if (!r.chainID || !r.blobChainID) {
      throw invalid(`record ${r.id} has no layer chain yet; export it first, then import on top of it`);
    }
    await tx.addHold(r.id, d.processes.self, null);
    return r;
  });
  return materialize(d, p);
}

export async function importBlob(d: LayerDeps, o: ImportOptions): Promise<RecordRow> {
  const parent = o.parent ? await parentFor(d, o.parent) : undefined;
  const release = () =>
    parent ? d.store.write((tx) => tx.endHolds({ records: [parent.id], owner: d.processes.self })) : Promise.resolve();
  try {
    // A blob already known (same digest, diffID on record) needs no reading at all.
    if (o.rewindable) {
      const digest = await d.layers.digest(o.open());
      if (o.expected?.digest && o.expected.digest !== digest) {
        throw new StrataError("integrity", `digest mismatch: expected ${o.expected.digest}, got ${digest}`);
      }
      const known = await d.store.read((tx) => tx.blob(digest));
      if (known && d.content.has(digest)) {
        const same = await d.store.read((tx) => tx.byBlobChain(blobChainID(parent?.blobChainID ?? null, digest, known.diffID)));
        if (same) return same;
      }
    }
    return o.lazy ? await importLazy(d, o, parent) : await importExtracted(d, o, parent);
  } finally {
    await release();
  }
}

function layerRow(id: string, parent: RecordRow | undefined, o: ImportOptions, now: number) {
  return newRow({
    id, kind: parent ? "layer" : "base", mutable: 0, createdAt: now, description: o.description ?? "",
  });
}

async function importLazy(d: LayerDeps, o: ImportOptions, parent?: RecordRow): Promise<RecordRow> {
  const r = await d.layers.read(o.open(), { store: true, expected: o.expected, progress: o.progress });
  return d.store.write(async (tx) => {
    const bcid = blobChainID(parent?.blobChainID ?? null, r.digest, r.diffID);
    const same = await tx.byBlobChain(bcid);
    if (same) return same;
    const mediaType = o.mediaType ?? d.layers.mediaType(r.compression);
    await tx.putBlob({ digest: r.digest, mediaType, size: r.size, diffID: r.diffID });
    const row = {
      ...layerRow(newId(), parent, o, d.clock.now()),
      lazy: 1, blobDigest: r.digest, blobMediaType: mediaType, blobSize: r.size, blobDiffID: r.diffID,
      chainID: chainID(parent?.chainID ?? null, r.diffID), blobChainID: bcid,
    };
    await tx.insert(row, parent ? [parent.id] : []);
    return row;
  });
}

async function importExtracted(d: LayerDeps, o: ImportOptions, parent?: RecordRow): Promise<RecordRow> {
  const id = newId();
  const before = d.snapshots.version();
  await d.store.write((tx) =>
    tx.insert({ ...layerRow(id, parent, o, d.clock.now()), state: "creating", owner: d.processes.self, snapshot: id }, parent ? [parent.id] : [])
  );
  let r;
  try {
    await d.snapshots.prepare(id, parent?.snapshot ?? undefined);
    r = await d.layers.read(o.open(), { dir: d.snapshots.path(id), store: true, expected: o.expected, progress: o.progress });
  } catch (err) {
    // A failed extraction leaves no record and no directory.
    await d.snapshots.remove(id);
    await d.store.write((tx) => tx.delete([id]));
    throw err;
  }
  const after = d.snapshots.version();
  const bcid = blobChainID(parent?.blobChainID ?? null, r.digest, r.diffID);
  const cid = chainID(parent?.chainID ?? null, r.diffID);
  const mediaType = o.mediaType ?? d.layers.mediaType(r.compression);
  const result = await d.store.write(async (tx) => {
    const same = await tx.byBlobChain(bcid);
    if (same) {
      await tx.update([id], { state: "deleting" });
      return { row: same, discard: true };
    }
    await tx.putBlob({ digest: r.digest, mediaType, size: r.size, diffID: r.diffID });
    const patch = {
      state: "ready" as const, owner: null, blobDigest: r.digest, blobMediaType: mediaType, blobSize: r.size,
      blobDiffID: r.diffID, chainID: cid, blobChainID: bcid,
    };
    // The same content under another compression: share its snapshot, drop ours.
    const twinContent = await tx.byChainWithSnapshot(cid);
    await tx.update([id], twinContent ? { ...patch, snapshot: twinContent.snapshot } : patch);
    await noteOwnChange(tx, before, after);
    return { row: (await tx.record(id))!, discard: false, dropDir: twinContent !== undefined };
  });
  if (result.discard) await removeMarked(d, [(await d.store.read((tx) => tx.record(id)))!]);
  else if (result.dropDir) await d.snapshots.remove(id);
  return result.row;
}

/**
 * A lazy record's snapshot, extracted now (its parents first). While extracting, the
 * row names its snapshot and this process as owner, so recovery can tell a
 * half-extracted record from a finished one.
 */
export async function materialize(d: LayerDeps, r: RecordRow): Promise<RecordRow> {
  if (!r.lazy) return r;
  const parents = await d.store.read((tx) => tx.parents([r.id]));
  const parentId = parents.get(r.id)?.[0];
  const parent = parentId ? await materialize(d, (await d.store.read((tx) => tx.record(parentId)))!) : undefined;
  const key = newId();
  const claim = await d.store.write(async (tx) => {
    const now = await tx.record(r.id);
    if (!now || now.state !== "ready") throw new StrataError("not_found", `record ${r.id} not found`);
    if (!now.lazy) return { done: now };
    if (now.owner && now.owner !== d.processes.self) throw locked(r.id);
    const shared = now.chainID ? await tx.byChainWithSnapshot(now.chainID) : undefined;
    if (shared && !shared.lazy) {
      await tx.update([r.id], { snapshot: shared.snapshot, lazy: 0 });
      return { done: (await tx.record(r.id))! };
    }
    await tx.update([r.id], { snapshot: key, owner: d.processes.self });
    return { now };
  });
  if (claim.done) return claim.done;
  const row = claim.now!;
  try {
    if (!row.blobDigest || !d.content.has(row.blobDigest)) {
      throw new StrataError("missing_blob", `record ${r.id} is lazy and its blob ${row.blobDigest ?? "(unknown)"} is not in the content store`);
    }
    await d.snapshots.prepare(key, parent?.snapshot ?? undefined);
    const got = await d.layers.read(d.layers.open(row.blobDigest), { dir: d.snapshots.path(key), store: false, expected: { digest: row.blobDigest } });
    if (got.diffID !== row.blobDiffID) throw new StrataError("integrity", `blob ${row.blobDigest} has diffID ${got.diffID}, not ${row.blobDiffID}`);
  } catch (err) {
    await d.snapshots.remove(key);
    await d.store.write((tx) => tx.update([r.id], { snapshot: null, owner: null }));
    throw err;
  }
  return d.store.write(async (tx) => {
    await tx.update([r.id], { lazy: 0, owner: null });
    return (await tx.record(r.id))!;
  });
}

export interface ExportResult {
  layers: Blob[];
  chainID: string;
}

/** The record's chain, root first. */
async function chainOf(d: LayerDeps, top: RecordRow): Promise<RecordRow[]> {
  const out = [top];
  for (let r = top; ;) {
    const ps = (await d.store.read((tx) => tx.parents([r.id]))).get(r.id) ?? [];
    if (ps.length === 0) break;
    if (ps.length > 1 || r.kind === "merge" || r.kind === "diff") throw invalid(`record ${r.id} is a ${r.kind}; exporting it is not supported yet`);
    r = (await d.store.read((tx) => tx.record(ps[0]!)))!;
    out.unshift(r);
  }
  return out;
}

export async function exportChain(d: LayerDeps, ref: string, compression: Compression, progress?: (bytes: number) => void): Promise<ExportResult> {
  const top = await d.store.write(async (tx) => {
    const r = await finalize(tx, await getImmutable(tx, ref, d.clock.now()));
    await tx.addHold(r.id, d.processes.self, null);
    return r;
  });
  try {
    const chain = await chainOf(d, top);
    const layers: Blob[] = [];
    let parent: RecordRow | undefined;
    for (let r of chain) {
      r = (await d.store.read((tx) => tx.record(r.id)))!;
      let blob = blobOf(r);
      if (!blob) {
        if (parent) parent = await materialize(d, parent);
        const lower = parent?.snapshot ? d.snapshots.path(parent.snapshot) : undefined;
        const w = await d.layers.write(lower, d.snapshots.path(r.snapshot!), compression, progress);
        blob = { digest: w.digest, mediaType: d.layers.mediaType(compression), size: w.size, diffID: w.diffID };
        const b = blob;
        const p = parent;
        r = await d.store.write(async (tx) => {
          await tx.putBlob(b);
          await tx.update([r.id], {
            blobDigest: b.digest, blobMediaType: b.mediaType, blobSize: b.size, blobDiffID: b.diffID,
            chainID: chainID(p?.chainID ?? null, b.diffID),
            blobChainID: blobChainID(p?.blobChainID ?? null, b.digest, b.diffID),
          });
          return (await tx.record(r.id))!;
        });
      } else if (d.layers.compressionOf(blob.mediaType) !== compression) {
        // Another compression of the same layer: a linked variant, made once.
        const variants = await d.store.read((tx) => tx.blobsByDiffID(blob!.diffID));
        const v = variants.find((x) => d.layers.compressionOf(x.mediaType) === compression && d.content.has(x.digest));
        if (v) blob = { digest: v.digest, mediaType: v.mediaType, size: v.size, diffID: v.diffID };
        else {
          const t = await d.layers.transcode(blob.digest, compression);
          blob = { digest: t.digest, mediaType: d.layers.mediaType(compression), size: t.size, diffID: blob.diffID };
          const b = blob;
          await d.store.write((tx) => tx.putBlob(b));
        }
      } else if (!d.content.has(blob.digest)) {
        throw new StrataError("missing_blob", `blob ${blob.digest} of record ${r.id} is not in the content store`);
      }
      layers.push(blob);
      parent = r;
    }
    return { layers, chainID: parent!.chainID! };
  } finally {
    await d.store.write((tx) => tx.endHolds({ records: [top.id], owner: d.processes.self }));
  }
}

export { resolve };
