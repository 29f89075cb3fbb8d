/**
 * `pull` (SPEC §6): an image in a registry as a chain of records, made as imports make
 * them (SPEC §3.6): the same blob chain is the same record, and a layer whose content is
 * already extracted under another compression shares that snapshot. The image config's
 * `rootfs.diff_ids` give every layer's diffID, so chain IDs are known before any layer
 * is read, and a chain already here costs no download at all.
 *
 * With `lazy`, only the manifest and config are read: each new record is lazy, knows its
 * blob by descriptor, and the remote-blobs table knows where it lives (remote-blob.ts
 * fetches it on first use). Without, each layer is downloaded and extracted in one pass
 * as it streams (importBlob), and whatever lazy record the chain reuses is extracted too.
 *
 * A tag that names nothing is a cache miss (*key not found*, exit 7); with restore
 * prefixes, the newest tag with each prefix is tried first, by its manifest's
 * `org.opencontainers.image.created` (actions/cache's restore-keys, on a registry).
 * A failed pull leaves no record and no blob of its own behind.
 */
import { blobChainID, chainID } from "./chain.ts";
import { cacheMiss, integrity, invalid, notFound } from "./errors.ts";
import { newId } from "./ids.ts";
import { importBlob, type LayerDeps, materialize } from "./layers.ts";
import type { ImageRef, Registry, RemoteBlob, RemoteImage } from "./ports/registry.ts";
import { newRow, type RecordRow } from "./record.ts";
import { markDeleting, removeMarked } from "./refs.ts";

/** Bytes of one blob moved so far, out of its size. */
export type BlobProgress = (digest: string, bytes: number, size: number) => void;

export interface PullOptions {
  /** `HOST[:PORT]/NAME[:TAG|@sha256:…]`. */
  source: string;
  lazy?: boolean;
  /** On a missing tag, the newest tag starting with each of these, tried in order. */
  restorePrefixes?: string[];
  /** `OS/ARCH[/VARIANT]` to pick from an index (default: the host's). */
  platform?: string;
  progress?: BlobProgress;
}

export interface Pulled {
  row: RecordRow;
  /** What was pulled, pinned: `HOST/NAME:TAG` (the restored tag, on a fallback) or `HOST/NAME@DIGEST`. */
  source: string;
  /** False when a restore prefix found it. */
  exact: boolean;
}

/** A layer of the image with what its config says about it. */
interface Layer extends RemoteBlob {
  diffID: string;
  description: string;
}

/** SPEC §2's layer media types, OCI and Docker, plain or compressed. */
const LAYER = /^application\/vnd\.(oci\.image\.layer\.v1\.tar|docker\.image\.rootfs\.diff\.tar)([+.](gzip|zstd))?$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export async function pull(d: LayerDeps, registry: Registry, o: PullOptions): Promise<Pulled> {
  // Lazy records this pull meets are fetched through the registry it was given.
  const dd: LayerDeps = { ...d, registry: async () => registry };
  const found = await find(registry, o);
  const layers = await layersOf(registry, found.image, found.source);
  const row = o.lazy ? await lazyChain(dd, found.image, layers) : await extractedChain(dd, registry, found.image, layers, o.progress);
  return { row, source: found.source, exact: found.exact };
}

async function find(registry: Registry, o: PullOptions): Promise<{ image: RemoteImage; source: string; exact: boolean }> {
  const ref = registry.parse(o.source);
  const pinned = (r: ImageRef) => (r.digest ? `${r.repository}@${r.digest}` : `${r.repository}:${r.tag}`);
  const image = await registry.resolve(o.source, { platform: o.platform });
  if (image) return { image, source: pinned(ref), exact: true };
  if (ref.digest) throw notFound(`manifest ${pinned(ref)}`);
  for (const prefix of o.restorePrefixes ?? []) {
    const hit = await registry.newestTag(ref.repository, prefix);
    // Pinned by digest: the manifest whose creation time was compared, even if the tag moves on.
    const restored = hit && (await registry.resolve(`${ref.repository}@${hit.digest}`, { platform: o.platform }));
    if (restored) return { image: restored, source: `${ref.repository}:${hit.tag}`, exact: false };
  }
  const tried = o.restorePrefixes?.length ? ` (nor any tag starting with ${o.restorePrefixes.map((p) => JSON.stringify(p)).join(", ")})` : "";
  throw cacheMiss(`tag ${ref.tag} not found in ${ref.repository}${tried}`);
}

/** The image's layers with their diffIDs and descriptions, from its config. */
async function layersOf(registry: Registry, image: RemoteImage, source: string): Promise<Layer[]> {
  const bad = (why: string) => invalid(`image ${source}: ${why}`);
  if (!image.layers.length) throw bad("it has no layers");
  for (const l of image.layers) if (!LAYER.test(l.mediaType)) throw bad(`layer ${l.digest} has media type ${l.mediaType}`);
  let config: { rootfs?: { diff_ids?: unknown }; history?: unknown };
  try {
    config = JSON.parse(new TextDecoder().decode(await registry.fetchConfig(image.repository, image.config)));
  } catch (err) {
    if (err instanceof SyntaxError) throw bad("its config is not JSON");
    throw err;
  }
  const diffIDs = config?.rootfs?.diff_ids;
  if (!Array.isArray(diffIDs) || diffIDs.length !== image.layers.length || !diffIDs.every((x) => typeof x === "string" && DIGEST.test(x))) {
    throw bad(`its config's rootfs.diff_ids do not name its ${image.layers.length} layers`);
  }
  // History entries that made a layer, in order; strata keeps a record's description in `comment`.
  const history = (Array.isArray(config.history) ? config.history : []) as { empty_layer?: unknown; comment?: unknown; created_by?: unknown }[];
  const made = history.filter((h) => h && h.empty_layer !== true);
  const said = (h: (typeof made)[number] | undefined) =>
    typeof h?.comment === "string" ? h.comment : typeof h?.created_by === "string" ? h.created_by : "";
  return image.layers.map((l, i) => ({
    mediaType: l.mediaType, digest: l.digest, size: l.size, diffID: diffIDs[i] as string,
    description: made.length === image.layers.length ? said(made[i]) : "",
  }));
}

/** Every layer a lazy record (or the record already made of the same blob chain), in one transaction. */
async function lazyChain(d: LayerDeps, image: RemoteImage, layers: Layer[]): Promise<RecordRow> {
  const bcids: string[] = [];
  for (const l of layers) bcids.push(blobChainID(bcids.at(-1) ?? null, l.digest, l.diffID));
  return d.store.write(async (tx) => {
    await tx.remoteBlobs.add(image.repository, layers.map((l) => l.digest));
    const known = await tx.records.byBlobChains(bcids);
    const made: { row: RecordRow; parents: string[] }[] = [];
    let parent: RecordRow | undefined;
    for (const [i, l] of layers.entries()) {
      const same = known.get(bcids[i]!);
      if (same) {
        parent = same;
        continue;
      }
      const row = newRow({
        id: newId(), kind: parent ? "layer" : "base", mutable: false, createdAt: d.clock.now(), description: l.description,
        lazy: true, blobDigest: l.digest, blobMediaType: l.mediaType, blobSize: l.size, blobDiffID: l.diffID,
        chainID: chainID(parent?.chainID ?? null, l.diffID), blobChainID: bcids[i]!,
      });
      made.push({ row, parents: parent ? [parent.id] : [] });
      parent = row;
    }
    await tx.records.insertAll(made);
    return parent!;
  });
}

/** Each layer downloaded and extracted as it streams, unless its blob chain is here already. */
async function extractedChain(d: LayerDeps, registry: Registry, image: RemoteImage, layers: Layer[], progress?: BlobProgress): Promise<RecordRow> {
  const made: RecordRow[] = [];
  const ids = new Set<string>();
  try {
    let parent: RecordRow | undefined;
    for (const l of layers) {
      const bcid = blobChainID(parent?.blobChainID ?? null, l.digest, l.diffID);
      const same = await d.store.read((tx) => tx.records.byBlobChain(bcid));
      if (same) {
        parent = same;
        continue;
      }
      // A blob stored here already (another chain has it) is read from the content store.
      async function* remote() {
        yield* await registry.fetchBlob(image.repository, l);
      }
      const row = await importBlob(d, {
        open: () => (d.content.has(l.digest) ? d.layers.open(l.digest) : remote()),
        rewindable: false, size: l.size, parent: parent?.id, mediaType: l.mediaType, description: l.description,
        expected: { digest: l.digest, size: l.size }, progress: (n) => progress?.(l.digest, n, l.size),
        // Only what this pull made is undone: a record found already there is someone's.
        made: (id) => ids.add(id),
      });
      if (ids.has(row.id)) made.push(row);
      if (row.blobDiffID !== l.diffID) {
        throw integrity(`layer ${l.digest} of ${image.repository}: its diffID is ${row.blobDiffID}, the image config says ${l.diffID}`);
      }
      parent = row;
    }
    // The top of a chain met lazy (pulled with --lazy before) is extracted now, its parents first.
    const top = parent!.lazy ? await materialize(d, parent!) : parent!;
    await d.store.write((tx) => tx.remoteBlobs.add(image.repository, layers.map((l) => l.digest)));
    return top;
  } catch (err) {
    await undo(d, made).catch(() => {});
    throw err;
  }
}

/**
 * Removes what a failed pull made, newest first: each record nothing else has come to
 * use or build on meanwhile, then the blobs nothing refers to any more.
 */
async function undo(d: LayerDeps, made: RecordRow[]): Promise<void> {
  for (const r of [...made].reverse()) {
    const doomed = await d.store.write(async (tx) => {
      const now = await tx.records.get(r.id);
      if (now?.state !== "ready" || (await tx.links.children([r.id])).size || (await tx.holds.inUse([r.id])).size) return undefined;
      await markDeleting(tx, [r.id], d.processes.self);
      return now;
    });
    if (doomed) await removeMarked(d, [doomed]);
  }
  const referenced = await d.store.read((tx) => tx.blobs.referenced());
  const orphans = [...new Set(made.map((r) => r.blobDigest).filter((b): b is string => !!b && !referenced.has(b)))];
  for (const digest of orphans) d.content.remove(digest);
  if (orphans.length) await d.store.write((tx) => tx.blobs.delete(orphans));
}
