/**
 * `push` (SPEC §6, BuildKit's registry cache exporter): a record's layer chain as an
 * ordinary OCI image under a tag. The chain is exported first (blobs it has are reused,
 * missing ones computed, as `export` does); each layer then goes up only if the registry
 * lacks it: a HEAD finds it there, else it is mounted from another repository of the same
 * registry it is known to live in, else it is sent; at most four at once. The image
 * config (`rootfs.diff_ids`, a `history` entry per layer carrying its record's
 * description, the host's os and architecture) goes up beside them, and the manifest
 * goes last, once every blob is there, so no reader ever sees a manifest whose blobs are
 * missing.
 *
 * A lazy remote record is never downloaded to push it to the registry it lives in: its
 * blob is there already, or mounted there. The config holds nothing that changes between
 * pushes of one record (times are the records' own), so pushing a record again sends no
 * blob at all; only the manifest, whose `org.opencontainers.image.created` is the time
 * of the push, is new. A failed push records nothing locally (what the export computed
 * stays, as after `export`).
 */
import { usage } from "./errors.ts";
import { exportHeld } from "./export.ts";
import { type LayerDeps, parentsOf } from "./layers.ts";
import type { Compression } from "./ports/layers.ts";
import type { PushAction, Registry, RemoteBlob } from "./ports/registry.ts";
import type { BlobProgress } from "./pull.ts";
import type { Blob, RecordRow } from "./record.ts";
import { holding } from "./refs.ts";
import { fetchKnownBlob } from "./remote-blob.ts";
import { sha256Hex } from "./sha256.ts";

export interface PushOptions {
  /** The record: an ID or `key:NAME`. */
  ref: string;
  /** `HOST[:PORT]/NAME[:TAG]`. */
  target: string;
  /** Layers in this compression; unset, each stored blob as it is (gzip for layers made now). */
  compression?: Compression;
  /** Manifest annotations besides `org.opencontainers.image.created`. */
  annotations?: { [key: string]: string };
  /** The host, for the config's `os` and `architecture`. */
  platform: { os: string; architecture: string };
  progress?: BlobProgress;
}

export interface Pushed {
  /** `HOST/NAME:TAG`. */
  target: string;
  /** The manifest's digest. */
  digest: string;
  layers: { digest: string; size: number; action: PushAction }[];
}

export const CREATED = "org.opencontainers.image.created";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
/** Blobs in flight at once (docker's default; the registry client keeps to it too). */
const IN_FLIGHT = 4;
/** sha256 of nothing: a HEAD for it checks access without asking for anything real. */
const EMPTY = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export async function push(d: LayerDeps, registry: Registry, o: PushOptions): Promise<Pushed> {
  const target = registry.parse(o.target);
  if (target.digest) throw usage(`push goes to a tag, not a digest: ${o.target}`);
  const repository = target.repository;
  const tag = target.tag ?? "latest";
  // Refused before anything is computed: a wrong password, a registry that is down. The
  // check goes out at once; taking the hold (finalizing and freezing the record, which a
  // refused push leaves as `export` would) and reading what is exported already overlap it.
  const checked = registry.hasBlob(repository, EMPTY);
  checked.catch(() => {});

  /** Repositories of the target's registry known to hold a blob (the target's own included). */
  const sameRegistry = async (digest: string) =>
    (await d.store.read((tx) => tx.remoteBlobs.repositories(digest))).filter((r) => registry.parse(r).registry === target.registry);
  const dd: LayerDeps = { ...d, registry: async () => registry };
  return holding(d, o.ref, async (top) => {
    const exported = await exportHeld(dd, top, o.compression ?? "gzip", undefined, {
      anyCompression: o.compression === undefined,
      // A lazy remote blob stays where it is when the target's registry has it.
      leaveRemote: async (blob) => (await sameRegistry(blob.digest)).length > 0,
      beforeWork: () => checked,
    });
    // Nothing computed: the blobs' own requests meet a refusal as soon as the check would.
    // Docker's layer types in an OCI manifest are OCI's: the same bytes under the OCI name.
    const layers = exported.layers.map((l) => ({ ...l, mediaType: d.layers.mediaType(d.layers.compressionOf(l.mediaType)) }));
    const records = await layerRecords(d, top);

    const sendLayer = async (l: Blob): Promise<PushAction> => {
      const mountFrom = (await sameRegistry(l.digest)).filter((r) => r !== repository);
      const progress = (n: number) => o.progress?.(l.digest, n, l.size);
      if (!d.content.has(l.digest)) {
        // A lazy remote blob: downloaded only when the registry neither has it nor can mount it.
        if (await registry.hasBlob(repository, l.digest)) return "exists";
        for (const from of mountFrom) if (await registry.mountBlob(repository, from, l.digest)) return "mounted";
        await fetchKnownBlob(dd, l, `the image for ${o.target}`);
      }
      return registry.pushBlob(repository, l, () => d.layers.open(l.digest), { mountFrom, progress, file: d.content.path(l.digest) });
    };

    const config = json({
      created: iso(top.createdAt),
      architecture: o.platform.architecture,
      os: o.platform.os,
      config: {},
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffID) },
      history: layers.map((_, i) => ({
        created: iso(records[i]?.createdAt ?? top.createdAt), created_by: "strata", comment: records[i]?.description ?? "",
      })),
    });
    const configBlob: RemoteBlob = { mediaType: OCI_CONFIG, digest: `sha256:${sha256Hex(config)}`, size: config.length };
    const sendConfig = async () => {
      const mountFrom = (await sameRegistry(configBlob.digest)).filter((r) => r !== repository);
      await registry.pushBlob(repository, configBlob, () => once(config), { mountFrom });
    };
    // The config goes up beside the layers (it names none of their blobs); the manifest, last.
    const [actions] = await Promise.all([inFlight(layers, IN_FLIGHT, sendLayer), sendConfig()]);
    const manifest = json({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: configBlob,
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      annotations: { [CREATED]: iso(d.clock.now()), ...o.annotations },
    });
    const digest = await registry.putManifest(repository, tag, manifest, OCI_MANIFEST);
    await d.store.write(async (tx) => {
      await tx.remoteBlobs.add(repository, [...layers, configBlob].map((b) => b.digest));
    });
    return {
      target: `${repository}:${tag}`,
      digest,
      layers: layers.map((l, i) => ({ digest: l.digest, size: l.size, action: actions[i]! })),
    };
  });
}

/** The records whose layers make up `r`, root first, laid out as export lays out their blobs. */
async function layerRecords(d: LayerDeps, r: RecordRow): Promise<RecordRow[]> {
  const ps = await parentsOf(d, r.id);
  if (r.kind === "merge") return (await Promise.all(ps.map((p) => layerRecords(d, p)))).flat();
  if (r.kind === "diff") {
    const [lo, up] = ps;
    const upParents = up?.kind === "layer" ? await parentsOf(d, up.id) : [];
    return [upParents.length === 1 && upParents[0]!.id === lo?.id ? up! : r];
  }
  return [...(ps[0] ? await layerRecords(d, ps[0]) : []), r];
}

/** `fn` over `items`, at most `n` at a time; the first failure stops new ones from starting. */
async function inFlight<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString();
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
