/**
 * OCI image layouts on disk (image-spec `image-layout.md`): a source, for
 * `import oci:DIR[:TAG]`, and a target, for `export --output DIR --tag T`, which writes
 * a manifest and a config whose `rootfs.diff_ids` list the layers.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import { integrity, invalid, missingBlob, systemError } from "../core/errors.ts";
import type { ContentStore } from "../core/ports/content.ts";
import type { Blob } from "../core/record.ts";
import { isLayerMediaType } from "../layer/compression.ts";
import { hashHex } from "../platform/hash.ts";
import { readFile } from "./file.ts";
import type { Source } from "./source.ts";
import type { Target } from "./target.ts";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: { [k: string]: string };
  platform?: { os?: string; architecture?: string };
}

const REF = "org.opencontainers.image.ref.name";
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const INDEX = "application/vnd.oci.image.index.v1+json";
const bad = (why: string) => invalid(`OCI layout: ${why}`);

export const hostArch = () => ({ x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" } as { [k: string]: string })[process.arch] ?? process.arch;

export function blobPath(dir: string, digest: string): string {
  const m = digest.match(/^(sha256|sha512):([0-9a-f]+)$/);
  if (!m) throw bad(`invalid digest ${digest}`);
  return `${dir}/blobs/${m[1]}/${m[2]}`;
}

function readBytes(path: string, missing: "not_found" | "missing_blob"): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw systemError(err, `OCI layout: cannot read ${path}`, missing);
  }
}

function parseJson(bytes: Buffer, path: string): any {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw bad(`${path} is not JSON: ${(err as Error).message}`);
  }
}

const readJson = (path: string): any => parseJson(readBytes(path, "not_found"), path);

/** `oci:DIR[:TAG]`. */
export function parseOciRef(ref: string): { dir: string; tag?: string } {
  const rest = ref.slice(4);
  const colon = rest.lastIndexOf(":");
  // A colon after the last slash separates a tag.
  if (colon > rest.lastIndexOf("/")) return { dir: rest.slice(0, colon), tag: rest.slice(colon + 1) };
  return { dir: rest };
}

/** The layers of the image tagged `tag` (or the only image) in an OCI layout. */
export function readLayout(dir: string, tag?: string): Descriptor[] {
  try {
    readFileSync(`${dir}/oci-layout`);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") throw bad(`${dir} has no oci-layout file`);
    throw systemError(err, `OCI layout: cannot read ${dir}/oci-layout`);
  }
  let manifests = listed(readJson(`${dir}/index.json`), `${dir}/index.json`);
  // A layout is a stranger's too: an index naming itself (or a chain of them) ends here.
  for (let depth = 0; depth < MAX_NESTING; depth++) {
    const pick = tag ? manifests.filter((m) => m.annotations?.[REF] === tag) : manifests;
    const candidates = pick.length > 1 ? pick.filter((m) => !m.platform || (m.platform.os === "linux" && m.platform.architecture === hostArch())) : pick;
    if (candidates.length === 0) throw bad(tag ? `no image tagged "${tag}" in ${dir}` : `no image in ${dir}`);
    if (candidates.length > 1) throw bad(`${dir} has ${candidates.length} images; name one with oci:${dir}:TAG`);
    const desc = candidates[0]!;
    const doc = readBlobJson(dir, desc.digest);
    if (desc.mediaType === INDEX || doc.mediaType === INDEX) {
      manifests = listed(doc, `index ${desc.digest}`);
      tag = undefined; // the tag named the index; its platform manifests are picked by platform
      continue;
    }
    const layers = descriptors(doc.layers, `manifest ${desc.digest}`, "layers");
    for (const l of layers) if (!isLayerMediaType(l.mediaType)) throw bad(`layer ${l.digest} has media type ${l.mediaType}`);
    return layers;
  }
  throw bad(`${dir}: indexes nested more than ${MAX_NESTING} deep`);
}

const MAX_NESTING = 8;

/** An index's `manifests`, each a descriptor. */
const listed = (doc: any, where: string) => descriptors(doc?.manifests, where, "manifests");

function descriptors(list: unknown, where: string, field: string): Descriptor[] {
  if (!Array.isArray(list)) throw bad(`${where} has no ${field} list`);
  for (const d of list) {
    if (!d || typeof d !== "object" || typeof d.mediaType !== "string" || typeof d.digest !== "string" || !Number.isSafeInteger(d.size)) {
      throw bad(`${where}: an entry of ${field} is not a descriptor (mediaType, digest, size)`);
    }
  }
  return list as Descriptor[];
}

/** A JSON blob, checked against its digest before it is believed. */
function readBlobJson(dir: string, digest: string): any {
  const path = blobPath(dir, digest);
  const bytes = readBytes(path, "missing_blob");
  // blobPath let through sha256 and sha512 alone.
  const [algorithm, hex] = digest.split(":") as ["sha256" | "sha512", string];
  if (hashHex(algorithm, bytes) !== hex) throw integrity(`OCI layout: ${path} does not hash to ${digest}`);
  return parseJson(bytes, path);
}

function put(dir: string, bytes: Uint8Array): Descriptor & { bytes: Uint8Array } {
  const digest = `sha256:${hashHex("sha256", bytes)}`;
  writeFileSync(blobPath(dir, digest), bytes);
  return { mediaType: "", digest, size: bytes.length, bytes };
}

/** Writes blobs, config, manifest and the index entry for `tag`; returns the manifest descriptor. */
export function writeLayout(dir: string, tag: string, layers: Blob[], content: ContentStore): Descriptor {
  mkdirSync(`${dir}/blobs/sha256`, { recursive: true });
  writeFileSync(`${dir}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  for (const l of layers) {
    const to = blobPath(dir, l.digest);
    if (existsSync(to)) continue;
    try {
      linkSync(content.path(l.digest), to);
    } catch {
      copyFileSync(content.path(l.digest), to);
    }
  }
  const enc = new TextEncoder();
  const config = put(dir, enc.encode(JSON.stringify({
    architecture: hostArch(),
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffID) },
    history: layers.map(() => ({ created_by: "strata" })),
  })));
  const manifest = put(dir, enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  })));
  const desc: Descriptor = { mediaType: MANIFEST, digest: manifest.digest, size: manifest.size, annotations: { [REF]: tag } };
  const indexPath = `${dir}/index.json`;
  const index = existsSync(indexPath) ? readJson(indexPath) : { schemaVersion: 2, mediaType: INDEX, manifests: [] };
  index.manifests = [...(index.manifests ?? []).filter((m: Descriptor) => m.annotations?.[REF] !== tag), desc];
  writeFileSync(indexPath, JSON.stringify(index));
  return desc;
}

export const ociLayout: Source & Target = {
  matches: (spec) => spec.startsWith("oci:"),
  absolute: (spec) => `oci:${resolve(spec.slice(4))}`,
  upload: false,
  layers(spec) {
    const { dir, tag } = parseOciRef(spec);
    const layers = readLayout(dir, tag);
    // Every blob is looked for before the first is read: a missing one fails the import
    // before anything is kept.
    for (const l of layers) {
      if (!existsSync(blobPath(dir, l.digest))) throw missingBlob(`blob ${l.digest} of the image in ${dir} is not in its blobs directory`);
    }
    return layers.map((l) => ({
      open: () => readFile(blobPath(dir, l.digest), `cannot read blob ${l.digest} of ${dir}`, "missing_blob"),
      rewindable: true, size: l.size, mediaType: l.mediaType, expected: { digest: l.digest, size: l.size },
    }));
  },
  async write(dir, layers, content, opts) {
    try {
      return writeLayout(dir, opts.tag ?? "latest", layers, content);
    } catch (err) {
      throw systemError(err, `cannot write the OCI layout ${dir}`, "error");
    }
  },
};
