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
import { type Deps, finalize, freeze, getImmutable, markDeleting, noteOwnChange, removeMarked } from "./refs.ts";
import { layerTarget, materialize } from "./materialize.ts";

export { dirOf, materialize, parentsOf } from "./materialize.ts";

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
  /** Told of a record this import made (not of one it found already there): what a failed pull may undo. */
  made?: (id: string) => void;
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
    o.made?.(row.id);
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
    const into = await layerTarget(d, id, parent?.snapshot ?? undefined);
    r = await d.layers.read(o.open(), { ...into, store: true, expected: o.expected, progress: o.progress });
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
      await markDeleting(tx, [id], d.processes.self);
      return { row: same, discard: true };
    }
    await keepBlob(d, tx, { digest: r.digest, mediaType, size: r.size, diffID: r.diffID });
    const patch = {
      state: "ready" as const, owner: null, blobDigest: r.digest, blobMediaType: mediaType, blobSize: r.size,
      blobDiffID: r.diffID, chainID: cid, blobChainID: bcid, size: r.treeSize ?? null,
    };
    // The same content under another compression: share its snapshot, drop ours.
    const twinContent = await tx.records.byChainWithSnapshot(cid);
    // Sharing a snapshot, its size is the snapshot's, not that of the tree made here.
    await tx.records.update([id], twinContent ? { ...patch, snapshot: twinContent.snapshot, size: twinContent.size } : patch);
    await noteOwnChange(tx, before, after);
    return { row: (await tx.records.get(id))!, discard: false, dropDir: twinContent !== undefined };
  });
  if (result.discard) await removeMarked(d, [(await d.store.read((tx) => tx.records.get(id)))!]);
  else {
    o.made?.(id);
    if (result.dropDir) await d.snapshots.remove(id);
  }
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
