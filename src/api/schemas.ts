/**
 * The inputs of every command, declared once with valibot and checked once at the
 * edge (CLI arguments, HTTP bodies). Types come from the schemas.
 */
import * as v from "valibot";
import { parseDuration } from "../core/duration.ts";
import { isId } from "../core/ids.ts";
import { recordTypes } from "../core/record.ts";

const isDuration = (s: string) => {
  try {
    parseDuration(s);
    return true;
  } catch {
    return false;
  }
};

/** A duration like `30m` or `24h`, as milliseconds. */
export const duration = v.pipe(
  v.string(),
  v.check(isDuration, (i) => `invalid duration "${i.input}" (use e.g. 30m, 24h, 7d)`),
  v.transform(parseDuration),
);

export const ref = v.pipe(
  v.string(),
  v.check((s) => isId(s) || /^key:.+$/.test(s), (i) => `invalid reference "${i.input}" (a record ID or key:NAME)`),
);
export const id = v.pipe(v.string(), v.check(isId, (i) => `invalid record ID "${i.input}"`));

export const keyName = v.pipe(v.string(), v.regex(/^[\w.:\/@+-]{1,255}$/, "invalid key name"));

export const empty = v.strictObject({});

export const newInput = v.strictObject({
  parent: v.optional(ref),
  description: v.optional(v.string()),
  type: v.optional(v.picklist(recordTypes, `type must be one of ${recordTypes.join(", ")}`)),
  retain: v.optional(v.boolean()),
  hold: v.optional(duration),
});

export const pathInput = v.strictObject({
  ref,
  rw: v.optional(v.boolean()),
  hold: v.optional(duration),
});

export const commitInput = v.strictObject({
  id,
  hold: v.optional(duration),
  key: v.optional(keyName),
});

export const idInput = v.strictObject({ id });
export const reopenInput = v.strictObject({ id, hold: v.optional(duration) });
export const refInput = v.strictObject({ ref });

export const duInput = v.strictObject({
  filter: v.optional(v.array(v.string())),
  verbose: v.optional(v.boolean()),
});

const isSize = (s: string) => /^\d+(\.\d+)?\s*([a-zA-Z]*|%)$/.test(s.trim());
/** A size as given (`512MB`, `10GiB`, `20%`); percentages need the filesystem, so they resolve later. */
export const size = v.pipe(
  v.string(),
  v.check(isSize, (i) => `invalid size "${i.input}" (use bytes, 512MB, 10GiB or 20%)`),
);

export const pruneInput = v.strictObject({
  all: v.optional(v.boolean()),
  filter: v.optional(v.array(v.string())),
  keepDuration: v.optional(duration),
  maxUsedSpace: v.optional(size),
  minFreeSpace: v.optional(size),
  reservedSpace: v.optional(size),
  dryRun: v.optional(v.boolean()),
  verbose: v.optional(v.boolean()),
});

export const keySetInput = v.strictObject({ name: keyName, ref });
export const keyGetInput = v.strictObject({ name: keyName, restorePrefix: v.optional(v.array(v.string())) });
export const keyNameInput = v.strictObject({ name: keyName });

const leaseId = v.pipe(v.string(), v.regex(/^[\w.:@+-]{1,128}$/, "invalid lease ID"));
export const leaseCreateInput = v.strictObject({ id: v.optional(leaseId), expires: v.optional(duration) });
const refOrDigest = v.pipe(
  v.string(),
  v.check((x) => /^sha256:[0-9a-f]{64}$/.test(x) || isId(x) || /^key:.+$/.test(x), (i) => `invalid reference "${i.input}" (a record ID, key:NAME or a blob digest)`),
);
export const leaseAddInput = v.strictObject({ id: leaseId, ref: refOrDigest });
export const leaseIdInput = v.strictObject({ id: leaseId });

const layerMediaTypes = [
  "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.docker.image.rootfs.diff.tar",
  "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.diff.tar.zstd",
] as const;

export const importInput = v.strictObject({
  /** A file, `-` for stdin, or `oci:DIR[:TAG]`; absent when the blob is the request body. */
  source: v.optional(v.pipe(v.string(), v.minLength(1))),
  parent: v.optional(ref),
  mediaType: v.optional(v.picklist(layerMediaTypes, "not a layer media type")),
  lazy: v.optional(v.boolean()),
  description: v.optional(v.string()),
});

export const exportInput = v.strictObject({
  ref,
  compression: v.optional(v.picklist(["gzip", "zstd", "uncompressed"], "compression must be gzip, zstd or uncompressed")),
  output: v.optional(v.pipe(v.string(), v.minLength(1))),
  tag: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, "invalid tag"))),
});

export const mergeInput = v.strictObject({ refs: v.pipe(v.array(ref), v.minLength(1, "merge needs at least one REF")) });
export const diffInput = v.strictObject({ lower: ref, upper: v.optional(ref) });

export const checkInput = v.strictObject({ repair: v.optional(v.boolean()) });

export type NewInput = v.InferOutput<typeof newInput>;
export type PathInput = v.InferOutput<typeof pathInput>;
export type CommitInput = v.InferOutput<typeof commitInput>;
export type IdInput = v.InferOutput<typeof idInput>;
export type ReopenInput = v.InferOutput<typeof reopenInput>;
export type RefInput = v.InferOutput<typeof refInput>;
export type DuInput = v.InferOutput<typeof duInput>;
export type PruneInput = v.InferOutput<typeof pruneInput>;
export type KeySetInput = v.InferOutput<typeof keySetInput>;
export type KeyGetInput = v.InferOutput<typeof keyGetInput>;
export type KeyNameInput = v.InferOutput<typeof keyNameInput>;
export type LeaseCreateInput = v.InferOutput<typeof leaseCreateInput>;
export type LeaseAddInput = v.InferOutput<typeof leaseAddInput>;
export type LeaseIdInput = v.InferOutput<typeof leaseIdInput>;
export type ImportInput = v.InferOutput<typeof importInput>;
export type ExportInput = v.InferOutput<typeof exportInput>;
export type MergeInput = v.InferOutput<typeof mergeInput>;
export type DiffInput = v.InferOutput<typeof diffInput>;
export type CheckInput = v.InferOutput<typeof checkInput>;
