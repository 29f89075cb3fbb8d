/**
 * The inputs of every command, declared once with valibot and checked once at the edge
 * (CLI arguments, HTTP bodies). Types come from the schemas, and so does everything
 * else said about a field: the CLI's flags, query decoding, help and OpenAPI read each
 * field's kind and one-line description from here (see fields.ts).
 */
import * as v from "valibot";
import { parseDuration } from "../core/duration.ts";
import { isId } from "../core/ids.ts";
import { recordTypes } from "../core/record.ts";
import { parseSize } from "../core/units.ts";

/**
 * What help says of a field: one line, and the word standing for its value
 * (`--hold DUR`); read back by fields.ts.
 */
const say = <T>(what: string, form?: string) => v.metadata<T, { what: string; form?: string }>({ what, ...(form ? { form } : {}) });

/** What `parse` says is wrong, or undefined: a field's rule and message are the core's own. */
const whyNot = (parse: () => unknown) => {
  try {
    parse();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};
const notDuration = (s: string) => whyNot(() => parseDuration(s));

/** A duration like `30m` or `24h`, as milliseconds. */
const durationOf = (what: string) =>
  v.pipe(
    v.string(),
    v.check((s) => notDuration(s) === undefined, (i) => notDuration(i.input as string)!),
    v.transform(parseDuration),
    say(what, "DUR"),
  );
export const duration = durationOf("a duration: 30m, 24h, 7d");

const isRef = (s: string) => isId(s) || /^key:.+$/.test(s);
const refOf = (what: string) =>
  v.pipe(v.string(), v.maxLength(300, "invalid reference"), v.check(isRef, (i) => `invalid reference "${i.input}" (a record ID or key:NAME)`), say(what, "REF"));
export const ref = refOf("a record ID or key:NAME");
const idOf = (what: string) => v.pipe(v.string(), v.check(isId, (i) => `invalid record ID "${i.input}"`), say(what, "ID"));

const keyNameOf = (what: string) => v.pipe(v.string(), v.regex(/^[\w.:\/@+-]{1,255}$/, "invalid key name"), say(what, "NAME"));

/** Text a client may send is bounded: a daemon keeps and hands it out again (`du`). */
const maxText = 4096;
const text = (what: string) => v.pipe(v.string(), v.maxLength(maxText, `at most ${maxText} characters`), say(what, "TEXT"));
const path = (what: string, form = "PATH") =>
  v.pipe(v.string(), v.minLength(1), v.maxLength(maxText, `at most ${maxText} characters`), say(what, form));
/** A repeatable flag: at most `n` values of at most `len` characters. */
const list = (what: string, n: number, len: number, form: string) =>
  v.pipe(v.array(v.pipe(v.string(), v.maxLength(len, `at most ${len} characters each`))), v.maxLength(n, `at most ${n} of them`), say(what, form));
const flag = (what: string) => v.pipe(v.boolean(), say(what));
const hold = (what: string) => v.optional(durationOf(what));

export const empty = v.strictObject({});

export const newInput = v.strictObject({
  parent: v.optional(refOf("build on this committed record (a lazy one is extracted first)")),
  description: v.optional(text("a description shown by du and info")),
  type: v.optional(v.pipe(
    v.picklist(recordTypes, `type must be one of ${recordTypes.join(", ")}`),
    say(`the record type: ${recordTypes.join(", ")}`),
  )),
  retain: v.optional(flag("keep the record as cache when it is released uncommitted")),
  hold: hold("how long the record stays held (default 24h)"),
});

export const pathInput = v.strictObject({
  ref: refOf("the record: an ID or key:NAME"),
  rw: v.optional(flag("a writable directory (a held mutable record only)")),
  hold: hold("hold the record this long"),
});

export const commitInput = v.strictObject({
  id: idOf("the mutable record to commit"),
  hold: hold("hold the committed record this long"),
  key: v.optional(keyNameOf("point this CI key at the committed record")),
});

export const idInput = v.strictObject({ id: idOf("the record") });
export const reopenInput = v.strictObject({
  id: idOf("the mutable record to reopen"),
  hold: hold("how long the record stays held (default 24h)"),
});
export const refInput = v.strictObject({ ref: refOf("the record: an ID or key:NAME") });

const filters = v.optional(list(
  "key==value, key!=value, key~=regex or key; commas AND, repeated flags OR (keys: id, parents, description, type, inuse, mutable, immutable, shared, private, until)",
  64, 1024, "FILTER",
));

export const duInput = v.strictObject({
  filter: filters,
  verbose: v.optional(flag("every field of every record")),
});

/** Checked against a stand-in filesystem: a percentage resolves later, on the real one. */
const notSize = (s: string) => whyNot(() => parseSize(s, 1));
/** A size as given (`512MB`, `10GiB`, `20%`), kept as text until the filesystem is known. */
const sizeOf = (what: string) =>
  v.pipe(v.string(), v.check((s) => notSize(s) === undefined, (i) => notSize(i.input as string)!), say(what, "SIZE"));
export const size = sizeOf("bytes, 512MB, 10GiB or 20% of the filesystem");

export const pruneInput = v.strictObject({
  all: v.optional(flag("also internal, frontend and shared records")),
  filter: filters,
  keepDuration: v.optional(durationOf("keep records used (or made, if never used) within this duration")),
  maxUsedSpace: v.optional(sizeOf("remove until records use at most this much")),
  minFreeSpace: v.optional(sizeOf("remove until the filesystem has this much free")),
  reservedSpace: v.optional(sizeOf("never remove below this much in use")),
  dryRun: v.optional(flag("list what would go, remove nothing")),
  verbose: v.optional(flag("every field of each removed record")),
});

export const keySetInput = v.strictObject({
  name: keyNameOf("the key's name"),
  ref: refOf("the record it points at"),
});
export const keyGetInput = v.strictObject({
  name: keyNameOf("the key's name"),
  restorePrefix: v.optional(list("on a miss, the newest key starting with this (repeatable, tried in order)", 32, 255, "PREFIX")),
});
export const keyNameInput = v.strictObject({ name: keyNameOf("the key's name") });

const leaseIdOf = (what: string) => v.pipe(v.string(), v.regex(/^[\w.:@+-]{1,128}$/, "invalid lease ID"), say(what, "ID"));
export const leaseCreateInput = v.strictObject({
  id: v.optional(leaseIdOf("the lease's ID (default: a new one)")),
  expires: v.optional(durationOf("the lease ends after this long (default: never)")),
});
const refOrDigest = v.pipe(
  v.string(),
  v.check((x) => /^sha256:[0-9a-f]{64}$/.test(x) || isRef(x), (i) => `invalid reference "${i.input}" (a record ID, key:NAME or a blob digest)`),
  say("a record ID, key:NAME or a blob digest", "REF"),
);
export const leaseAddInput = v.strictObject({ id: leaseIdOf("the lease"), ref: refOrDigest });
export const leaseIdInput = v.strictObject({ id: leaseIdOf("the lease") });

const layerMediaTypes = [
  "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.docker.image.rootfs.diff.tar",
  "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.diff.tar.zstd",
] as const;

export const importInput = v.strictObject({
  /** A file, `-` for stdin, or `oci:DIR[:TAG]`; absent when the blob is the request body. */
  source: v.optional(path("a layer blob file, - for stdin, or oci:DIR[:TAG] for an image layout", "FILE")),
  parent: v.optional(refOf("the record the layer goes on")),
  mediaType: v.optional(v.pipe(v.picklist(layerMediaTypes, "not a layer media type"), say("the layer's media type (default: from its compression)", "TYPE"))),
  lazy: v.optional(flag("store the blob, extract it when first needed")),
  description: v.optional(text("a description shown by du and info")),
});

export const exportInput = v.strictObject({
  ref: refOf("the record whose layer chain to export"),
  compression: v.optional(v.pipe(
    v.picklist(["gzip", "zstd", "uncompressed"], "compression must be gzip, zstd or uncompressed"),
    say("gzip (default), zstd or uncompressed"),
  )),
  output: v.optional(path("also write an OCI image layout to this directory", "DIR")),
  tag: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, "invalid tag"), say("the image's tag in the layout (default latest)", "TAG"))),
});

export const mergeInput = v.strictObject({
  refs: v.pipe(v.array(ref), v.minLength(1, "merge needs at least one REF"), v.maxLength(1000, "at most 1000 inputs"), say("the records to merge, later ones win")),
});
export const diffInput = v.strictObject({
  lower: refOf("the tree to compare from"),
  upper: v.optional(refOf("the tree to compare to (default: an empty tree)")),
});

export const checkInput = v.strictObject({ repair: v.optional(flag("fix what is found")) });

/** How a registry is reached: kept for the one command, never stored or printed. */
const registryFlags = {
  credsFile: v.optional(path("a docker config.json-shaped file with registry credentials (default: $DOCKER_CONFIG/config.json)", "FILE")),
  caFile: v.optional(path("a PEM file of CAs to trust for the registry, besides the system's", "FILE")),
  insecureRegistry: v.optional(list("a HOST[:PORT] spoken to in plain HTTP (loopback always is)", 32, 300, "HOST")),
};
/** An image reference; its grammar is checked where it is parsed (remote/reference.ts). */
const imageRefOf = (what: string) =>
  v.pipe(v.string(), v.minLength(1, "an image reference is HOST[:PORT]/REPO[:TAG]"), v.maxLength(600, "an image reference is at most 600 characters"), say(what, "IMAGE"));

export const pushInput = v.strictObject({
  ref: refOf("the record whose layer chain to push"),
  target: imageRefOf("where the image goes: HOST[:PORT]/REPO[:TAG] (default tag latest)"),
  compression: v.optional(v.pipe(
    v.picklist(["gzip", "zstd", "uncompressed"], "compression must be gzip, zstd or uncompressed"),
    say("gzip, zstd or uncompressed (default: each layer as stored, gzip for new ones)"),
  )),
  annotation: v.optional(v.pipe(
    list("a manifest annotation KEY=VALUE", 64, maxText, "KEY=VALUE"),
    v.check((a) => a.every((x) => /^[^=]+=/.test(x)), (i) => `invalid annotation "${i.input.find((x) => !/^[^=]+=/.test(x))}" (use KEY=VALUE)`),
  )),
  ...registryFlags,
});

export const pullInput = v.strictObject({
  source: imageRefOf("the image: HOST[:PORT]/REPO[:TAG] or HOST[:PORT]/REPO@sha256:DIGEST"),
  lazy: v.optional(flag("read the manifest and config only; each layer is fetched when first needed")),
  restorePrefix: v.optional(list("on a missing tag, the newest tag starting with this (tried in order)", 32, 128, "PREFIX")),
  platform: v.optional(v.pipe(v.string(), v.maxLength(100, "a platform is OS/ARCH[/VARIANT]"), say("OS/ARCH[/VARIANT] to pick from a multi-platform image (default: the host's)", "OS/ARCH"))),
  ...registryFlags,
});

export const serveInput = v.strictObject({
  listen: v.optional(list("also listen on TCP HOST:PORT (needs the token), repeatable", 16, 300, "HOST:PORT")),
  config: v.optional(text("a JSON or TOML file with the GC policy list")),
});

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
export type PushInput = v.InferOutput<typeof pushInput>;
export type PullInput = v.InferOutput<typeof pullInput>;
