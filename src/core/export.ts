/**
 * Export (BuildKit's GetRemotes, SPEC §3.8–10): the blobs of a record's layers, each
 * computed once from the changes against what is below it and kept on its record.
 * A layer chain gives one blob per record; a merge, its inputs' layers in order; a diff,
 * one layer of its changes (or, when LOWER is UPPER's parent, UPPER's own layer).
 * Other compressions of a layer become linked variants.
 */
import { blobChainID, chainID } from "./chain.ts";
import { invalid } from "./errors.ts";
import { writing } from "./space.ts";
import { keepBlob, type LayerDeps, materialize, parentsOf } from "./layers.ts";
import type { Compression } from "./ports/layers.ts";
import type { Blob, RecordRow } from "./record.ts";
import { holding } from "./refs.ts";
import { fetchLazyBlob } from "./remote-blob.ts";

export interface ExportResult {
  layers: Blob[];
  chainID: string;
}

/** How a push exports (push.ts); plain export leaves both unset. */
export interface ExportOptions {
  /** Any stored compression of a layer will do: only layers computed now take the asked one. */
  anyCompression?: boolean;
  /** Whether a blob not in the content store can be used where it lives (a push to its registry). */
  leaveRemote?: (blob: Blob) => Promise<boolean>;
  /** Awaited before anything is computed, fetched or transcoded (a push's check that the registry lets it in). */
  beforeWork?: () => Promise<unknown>;
}

const blobOf = (r: RecordRow): Blob | null =>
  r.blobDigest ? { digest: r.blobDigest, mediaType: r.blobMediaType!, size: r.blobSize!, diffID: r.blobDiffID! } : null;

const chainOver = (blobs: Blob[]) => {
  let c: string | null = null, b: string | null = null;
  for (const x of blobs) {
    c = chainID(c, x.diffID);
    b = blobChainID(b, x.digest, x.diffID);
  }
  return { chainID: c!, blobChainID: b! };
};

class Exporter {
  private done = new Map<string, Blob[]>();
  constructor(
    private d: LayerDeps,
    private compression: Compression,
    private progress?: (bytes: number) => void,
    private opts: ExportOptions = {},
  ) {}

  /** Rows as read last; a write here through `update` forgets the row it changes. */
  private rows = new Map<string, RecordRow>();
  private row = async (id: string) => {
    const known = this.rows.get(id);
    if (known) return known;
    const r = (await this.d.store.read((tx) => tx.records.get(id)))!;
    this.rows.set(id, r);
    return r;
  };

  /** The layers of a record, root first, each in the asked compression. */
  async layers(r: RecordRow): Promise<Blob[]> {
    const memo = this.done.get(r.id);
    if (memo) return memo;
    const ps = await parentsOf(this.d, r.id);
    let out: Blob[];
    if (r.kind === "merge") {
      out = [];
      for (const p of ps) out.push(...(await this.layers(p)));
      await this.setChain(r, out);
    } else if (r.kind === "diff") {
      const [lo, up] = ps as [RecordRow, RecordRow | undefined];
      const upParents = up ? await parentsOf(this.d, up.id) : [];
      if (up && up.kind === "layer" && upParents.length === 1 && upParents[0]!.id === lo.id) {
        // LOWER is UPPER's parent: the diff is UPPER's own layer, blob and all.
        await this.layers(up);
        out = [await this.variant((await this.row(up.id)))];
      } else {
        out = [await this.blob(r, lo, up)];
      }
      await this.setChain(r, out);
    } else {
      const parent = ps[0];
      out = parent ? [...(await this.layers(parent))] : [];
      const own = await this.blob(r, parent, r);
      out.push(own);
      const p = parent ? await this.row(parent.id) : undefined;
      const fresh = await this.row(r.id);
      if (!fresh.chainID || (p && !fresh.blobChainID)) {
        await this.d.store.write((tx) => tx.records.update([r.id], {
          chainID: chainID(p?.chainID ?? null, fresh.blobDiffID!),
          blobChainID: blobChainID(p?.blobChainID ?? null, fresh.blobDigest!, fresh.blobDiffID!),
        }));
        this.rows.delete(r.id);
      }
    }
    this.done.set(r.id, out);
    return out;
  }

  private async setChain(r: RecordRow, blobs: Blob[]) {
    if (!blobs.length) return;
    const c = chainOver(blobs);
    await this.d.store.write((tx) => tx.records.update([r.id], c));
    this.rows.delete(r.id);
  }

  /** The record's own layer: computed and stored if it has none, then in the asked compression. */
  private async blob(owner: RecordRow, lower: RecordRow | undefined, upper: RecordRow | undefined): Promise<Blob> {
    const now = await this.row(owner.id);
    if (!blobOf(now)) {
      await this.opts.beforeWork?.();
      const lo = lower && (await materialize(this.d, lower));
      // A diff without UPPER compares against an empty tree: its own (empty) snapshot.
      const up = await materialize(this.d, upper ?? now);
      const lowerDir = lo ? await this.d.snapshots.mount(lo.snapshot!) : undefined;
      // Where the snapshotter keeps UPPER's changes against LOWER apart, only they are read.
      const changes = lo ? this.d.snapshots.changes?.(up.snapshot!, lo.snapshot!) : undefined;
      const upperDir = changes ?? (await this.d.snapshots.mount(up.snapshot!));
      const w = await this.d.layers.write(lowerDir, upperDir, this.compression, this.progress, { overlay: changes !== undefined });
      const b: Blob = { digest: w.digest, mediaType: this.d.layers.mediaType(this.compression), size: w.size, diffID: w.diffID };
      await this.d.store.write(async (tx) => {
        await keepBlob(this.d, tx, b);
        await tx.records.update([owner.id], { blobDigest: b.digest, blobMediaType: b.mediaType, blobSize: b.size, blobDiffID: b.diffID });
      });
      this.rows.delete(owner.id);
      return b;
    }
    return this.variant(now);
  }

  private async fetch(r: RecordRow): Promise<void> {
    await this.opts.beforeWork?.();
    await fetchLazyBlob(this.d, r);
  }

  /** A record's blob in the asked compression: itself, a stored variant, or a new one. */
  private async variant(r: RecordRow): Promise<Blob> {
    const blob = blobOf(r)!;
    const here = this.d.content.has(blob.digest);
    if (this.opts.anyCompression || this.d.layers.compressionOf(blob.mediaType) === this.compression) {
      // Not stored here: a lazy remote blob, fetched unless the caller can use it where it is.
      if (!here && !(await this.opts.leaveRemote?.(blob))) await this.fetch(r);
      return blob;
    }
    const variants = await this.d.store.read((tx) => tx.blobs.byDiffID(blob.diffID));
    const v = variants.find((x) => this.d.layers.compressionOf(x.mediaType) === this.compression && this.d.content.has(x.digest));
    if (v) return { digest: v.digest, mediaType: v.mediaType, size: v.size, diffID: v.diffID };
    await this.opts.beforeWork?.();
    if (!here) await fetchLazyBlob(this.d, r);
    const t = await this.d.layers.transcode(blob.digest, this.compression);
    const b: Blob = { digest: t.digest, mediaType: this.d.layers.mediaType(this.compression), size: t.size, diffID: blob.diffID };
    await this.d.store.write((tx) => keepBlob(this.d, tx, b));
    return b;
  }
}

/** The layers of the record `ref`, each in `compression` (computed where missing). */
export function exportRecord(
  d: LayerDeps,
  ref: string,
  compression: Compression,
  progress?: (bytes: number) => void,
  opts: ExportOptions = {},
): Promise<ExportResult> {
  return holding(d, ref, (top) => exportHeld(d, top, compression, progress, opts));
}

/** `exportRecord` of a record the caller holds. */
export async function exportHeld(
  d: LayerDeps,
  top: RecordRow,
  compression: Compression,
  progress?: (bytes: number) => void,
  opts: ExportOptions = {},
): Promise<ExportResult> {
  const layers = await new Exporter(d, compression, progress, opts).layers(top).catch((err) => {
    throw writing(d, err, `exporting record ${top.id}`);
  });
  if (!layers.length) throw invalid(`record ${top.id} has no layers to export`);
  return { layers, chainID: chainOver(layers).chainID };
}
