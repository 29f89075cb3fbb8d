/**
 * Manifests as registries serve them: OCI image manifests and indexes, Docker schema 2
 * manifests and manifest lists (the same shapes under other media types). Schema 1 is
 * refused: it has no config and its digests are of signed JSON. Every descriptor must
 * carry a sha256 digest and a size, since both are checked when its bytes arrive.
 *
 * An index picks one manifest by platform: `linux/<host arch>` unless told otherwise,
 * a variant only when asked for one.
 */
import process from "node:process";
import { invalid, notFound, usage } from "../core/errors.ts";
import { digestHex } from "./digest.ts";
import type { Descriptor, ImageIndex, Manifest, Platform } from "./types.ts";

export const mediaTypes = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
} as const;

const IMAGE = new Set<string>([mediaTypes.ociManifest, mediaTypes.dockerManifest]);
const INDEX = new Set<string>([mediaTypes.ociIndex, mediaTypes.dockerList]);

/** The `Accept` of a manifest GET: everything this module reads. */
export const ACCEPT = [mediaTypes.ociManifest, mediaTypes.ociIndex, mediaTypes.dockerManifest, mediaTypes.dockerList].join(", ");

export const isManifestType = (t: string) => IMAGE.has(t) || INDEX.has(t);

/** Manifests larger than this are refused unread (containerd's limit too). */
export const MAX_MANIFEST = 4 << 20;

function descriptor(value: unknown, where: string): Descriptor {
  const d = value as Descriptor;
  if (!d || typeof d !== "object" || typeof d.mediaType !== "string" || typeof d.digest !== "string") {
    throw invalid(`${where}: a descriptor without media type or digest`);
  }
  if (!Number.isSafeInteger(d.size) || d.size < 0) throw invalid(`${where}: descriptor ${d.digest} has no valid size`);
  digestHex(d.digest);
  return d;
}

/** A manifest's document; `contentType` is the response's, used when the body names none. */
export function parseManifest(bytes: Uint8Array, contentType: string | null, digest: string, where: string): Manifest {
  let doc: { [k: string]: unknown };
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw invalid(`${where}: the manifest is not JSON`);
  }
  const header = contentType?.split(";")[0]!.trim() ?? "";
  const mediaType = typeof doc.mediaType === "string" && doc.mediaType
    ? doc.mediaType
    : isManifestType(header) ? header : Array.isArray(doc.manifests) ? mediaTypes.ociIndex : mediaTypes.ociManifest;
  const annotations = (doc.annotations ?? {}) as { [k: string]: string };
  if (doc.schemaVersion !== 2) throw invalid(`${where}: schema version ${doc.schemaVersion} manifests are not supported`);
  if (INDEX.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw invalid(`${where}: an index without manifests`);
    const manifests = doc.manifests.map((m) => descriptor(m, where));
    return { kind: "index", digest, mediaType, bytes, annotations, manifests };
  }
  if (!IMAGE.has(mediaType)) throw invalid(`${where}: media type ${mediaType} is not a manifest strata reads`);
  if (!Array.isArray(doc.layers)) throw invalid(`${where}: a manifest without layers`);
  const config = descriptor(doc.config, where);
  const layers = doc.layers.map((l) => descriptor(l, where));
  return { kind: "image", digest, mediaType, bytes, annotations, config, layers };
}

const ARCH: { [node: string]: string } = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };

export const hostPlatform = (): Platform => ({ os: "linux", architecture: ARCH[process.arch] ?? process.arch });

/** `OS/ARCH[/VARIANT]`, as `--platform` takes it. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, extra] = text.split("/");
  if (!os || !architecture || extra !== undefined || variant === "") throw usage(`invalid platform "${text}": use OS/ARCH[/VARIANT]`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

const show = (p: Platform) => [p.os, p.architecture, p.variant].filter(Boolean).join("/");

/** The index entry for `want`; an exact variant beats none, and none is not found. */
export function pickPlatform(index: ImageIndex, want: Platform, where: string): Descriptor {
  const fits = index.manifests.filter((m) =>
    isManifestType(m.mediaType) && m.platform?.os === want.os && m.platform.architecture === want.architecture &&
    (!want.variant || m.platform.variant === want.variant)
  );
  const best = fits.find((m) => (m.platform?.variant ?? "") === (want.variant ?? "")) ?? fits[0];
  if (!best) throw notFound(`an image for ${show(want)} in ${where}`);
  return best;
}
