/**
 * OCI image layouts on disk (image-spec `image-layout.md`): a source, for
 * `import oci:DIR[:TAG]`, and a target, for `export --output DIR --tag T`, which writes
 * a manifest and a config whose `rootfs.diff_ids` list the layers.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import { invalid, missingBlob, systemError } from "../core/errors.ts";
import type { ContentStore } from "../core/ports/content.ts";
import type { Blob } from "../core/record.ts";
import { isLayerMediaType } from "../layer/compression.ts";
import { sha256Hex } from "../core/sha256.ts";
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

function readJson(path: string, missing: "not_found" | "missing_blob" = "not_found"): any {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw systemError(err, `OCI layout: cannot read ${path}`, missing);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw bad(`${path} is not JSON: ${(err as Error).message}`);
  }
}

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
  let index = readJson(`${dir}/index.json`);
  let manifests: Descriptor[] = index.manifests ?? [];
  for (;;) {
    const pick = tag ? manifests.filter((m) => m.annotations?.[REF] === tag) : manifests;
    const candidates = pick.length > 1 ? pick.filter((m) => !m.platform || (m.platform.os === "linux" && m.platform.architecture === hostArch())) : pick;
    if (candidates.length === 0) throw bad(tag ? `no image tagged "${tag}" in ${dir}` : `no image in ${dir}`);
    if (candidates.length > 1) throw bad(`${dir} has ${candidates.length} images; name one with oci:${dir}:TAG`);
    const desc = candidates[0]!;
    const doc = readJson(blobPath(dir, desc.digest), "missing_blob");
    if (desc.mediaType === INDEX || doc.mediaType === INDEX) {
      index = doc;
      manifests = index.manifests ?? [];
      tag = undefined; // the tag named the index; its platform manifests are picked by platform
      continue;
    }
    const layers: Descriptor[] = doc.layers ?? [];
    for (const l of layers) if (!isLayerMediaType(l.mediaType)) throw bad(`layer ${l.digest} has media type ${l.mediaType}`);
    return layers;
  }
}

function put(dir: string, bytes: Uint8Array): Descriptor & { bytes: Uint8Array } {
  const digest = `sha256:${sha256Hex(bytes)}`;
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
