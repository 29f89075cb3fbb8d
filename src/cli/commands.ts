/**
 * Each command: the operation it calls, which input fields it takes by position, and
 * how its result reads for a person. Flags are the operation's other input fields
 * (api/fields.ts); JSON output is always the operation's own result, typed from the
 * operation table, so nothing here casts what an operation gives back.
 */
import { resolve as resolvePath } from "node:path";
import { type Field, fields } from "../api/fields.ts";
import type { Caller } from "../api/invoke.ts";
import { type Extra, type InputOf, type ItemOf, type OperationName, operations, type OutputOf, type StreamName } from "../api/operations.ts";
import { isProgress, type ProgressItem } from "../api/progress.ts";
import { serveInput } from "../api/schemas.ts";
import { failed } from "../core/errors.ts";
import { humanSize } from "../core/units.ts";
import { type CommandSpec, type Parsed, positional } from "./args.ts";
import { recordDetails, recordRows, table, totalsText } from "./format.ts";

export interface Output {
  /** Streams print one JSON object a line; the rest one document. */
  json: unknown;
  /** For a person; a function when it is costly, so --json never builds it. */
  text: string | (() => string);
}

export type Print = (o: Output) => void;

export interface Command extends CommandSpec {
  summary: string;
  /** The fields its positional arguments fill, in order (their forms tell completion what to offer). */
  positionals: Field[];
  /** Positionals as help shows them, when the field names say too little. */
  usage?: string;
  /** `connect` reaches the store (in this process or a daemon) when the command first needs it. */
  run(connect: () => Promise<Caller>, p: Parsed, print: Print): Promise<Output | void>;
}

/** A call's input and what goes with it, adjusted for where the call runs. */
interface Prepared<N extends OperationName> {
  input: InputOf<N>;
  extra?: Extra;
  done?(): void;
}

interface Spec<N extends OperationName> {
  op: N;
  args: string[];
  summary?: string;
  usage?: string;
  /** Before the call: paths made absolute (a server may run elsewhere), a body to send, progress. */
  prepare?(p: Parsed, c: Caller): Promise<Prepared<N>>;
}

/**
 * The user's words as the operation's input. Only the schema can check them, and it does,
 * at the edge (in this process or in the server): until then they are taken as given.
 */
const given = <N extends OperationName>(p: Parsed) => p.input as InputOf<N>;

/**
 * An operation's input fields split: those given by position (in `args` order), the rest
 * as flags. Read from the schema when first asked (a command runs; help or completion
 * lists them), not for every command at start-up.
 */
function fieldsOf(op: OperationName, args: string[]): { readonly flags: Field[]; readonly positionals: Field[] } {
  let split: { flags: Field[]; positionals: Field[] } | undefined;
  const get = () => {
    if (split) return split;
    const all = fields(operations[op].schema);
    const names = args.map((a) => positional(a).name);
    return (split = { flags: all.filter((f) => !names.includes(f.name)), positionals: names.map((n) => all.find((f) => f.name === n)!) });
  };
  return {
    get flags() {
      return get().flags;
    },
    get positionals() {
      return get().positionals;
    },
  };
}

/** What every command says of itself: its arguments, usage, fields and summary. */
function described<N extends OperationName>(spec: Spec<N>) {
  const split = fieldsOf(spec.op, spec.args);
  return {
    args: spec.args, usage: spec.usage, summary: spec.summary ?? operations[spec.op].summary,
    get flags() {
      return split.flags;
    },
    get positionals() {
      return split.positionals;
    },
  };
}

/** A command of `spec` that runs `run`; its fields stay lazy (a spread would read them now). */
function withRun<N extends OperationName>(spec: Spec<N>, run: Command["run"]): Command {
  const c = described(spec) as Command;
  c.run = run;
  return c;
}

/** A command that calls one operation and prints its result. */
function command<N extends OperationName>(spec: Spec<N> & { show(out: OutputOf<N>, p: Parsed): Output }): Command {
  return withRun(spec, async (connect, p) => {
    const c = await connect();
    const { input, extra, done } = spec.prepare ? await spec.prepare(p, c) : { input: given<N>(p) };
    const out = await c.call(spec.op, input, extra);
    done?.();
    return spec.show(out, p);
  });
}

/** A command whose operation streams: each item printed as it comes. */
function streaming<N extends StreamName>(spec: Spec<N> & { each(item: ItemOf<N>, p: Parsed, first: boolean): Output }): Command {
  return withRun(spec, async (connect, p, print) => {
    const c = await connect();
    let first = true;
    for await (const item of c.stream(spec.op, given<N>(p))) {
      print(spec.each(item, p, first));
      first = false;
    }
  });
}

/** What a transferring operation gives once its progress items are through. */
type Done<N extends StreamName> = Exclude<ItemOf<N>, ProgressItem>;
const isDone = <T>(item: T): item is Exclude<T, ProgressItem> => !isProgress(item);

/**
 * A command whose operation streams progress items, then its result: progress drawn on a
 * terminal (never with --json), the result printed as any command's.
 */
function transferring<N extends StreamName>(spec: Spec<N> & { verb: string; show(out: Done<N>, p: Parsed): Output }): Command {
  return withRun(spec, async (connect, p) => {
    const c = await connect();
    const { input } = spec.prepare ? await spec.prepare(p, c) : { input: given<N>(p) };
    const meter = (await import("./blob-progress.ts")).blobMeter(spec.verb, p);
    let out: Done<N> | undefined;
    try {
      for await (const item of c.stream(spec.op, input)) {
        if (isDone(item)) out = item;
        else if (isProgress(item)) meter?.(item.progress);
      }
    } finally {
      meter?.();
    }
    if (out === undefined) throw failed(`${spec.op} ended without a result`);
    return spec.show(out, p);
  });
}

/** Files a registry command names, made absolute: a server may run in another directory. */
const registryFiles = <T extends { credsFile?: string; caFile?: string }>(input: T): T => ({
  ...input, credsFile: input.credsFile && resolvePath(input.credsFile), caFile: input.caFile && resolvePath(input.caFile),
});

const idText = (r: { id: string }): Output => ({ json: r, text: r.id });
const snapshotterText = (s: OutputOf<"du">["snapshotter"]) => `${"Snapshotter:".padEnd(15)}${s.name}${s.reason ? ` (${s.reason})` : ""}`;
const hitText = (h: { key: string; id: string; exact: boolean }): Output => ({ json: h, text: `${h.id}\t${h.key}${h.exact ? "" : " (restored)"}` });
const leaseText = (l: { id: string; expiresAt: string | null; records: string[] }) =>
  `${l.id}\t${l.expiresAt ? `expires ${l.expiresAt}` : "no expiry"}\t${l.records.length} records`;

export const commands: { [name: string]: Command } = {
  version: command({ op: "version", args: [], summary: "print the version", show: (v) => ({ json: v, text: `strata ${v.version} (${v.runtime})` }) }),
  new: command({ op: "create", args: [], show: (r) => ({ json: r, text: `${r.id}\t${r.path}` }) }),
  path: command({ op: "path", args: ["ref"], summary: "a directory for REF", show: (r) => ({ json: r, text: r.path }) }),
  commit: command({ op: "commit", args: ["id"], show: idText }),
  release: command({ op: "release", args: ["id"], show: (r) => ({ json: r, text: `${r.deleted ? "deleted" : "released"} ${r.id}` }) }),
  reopen: command({
    op: "reopen", args: ["id"], summary: "make a committed record's mutable twin writable again",
    show: (r) => ({ json: r, text: `${r.id}\t${r.path}` }),
  }),
  info: command({ op: "info", args: ["ref"], show: (r) => ({ json: r, text: `${recordDetails(r)}\n${snapshotterText(r.snapshotter)}` }) }),
  du: command({
    op: "du", args: [],
    show: (r, p) => ({
      json: r,
      text: () => {
        const body = p.input.verbose ? r.records.map(recordDetails).join("\n\n") : r.records.length ? table(recordRows(r.records)) : "";
        return [body, totalsText(r.totals), snapshotterText(r.snapshotter)].filter(Boolean).join("\n\n");
      },
    }),
  }),
  prune: streaming({
    op: "prune", args: [], summary: "remove unheld records",
    each(item, p, first) {
      if ("summary" in item) return { json: item, text: `Total:\t${humanSize(item.summary.bytes)} in ${item.summary.records} records` };
      const rows = recordRows([item]);
      return { json: item, text: p.input.verbose ? recordDetails(item) + "\n" : table(first ? rows : [rows[1]!]) };
    },
  }),
  "key set": command({ op: "keySet", args: ["name", "ref"], summary: "point a CI key at a record", show: hitText }),
  "key get": command({ op: "keyGet", args: ["name"], summary: "the record of a key, or of the newest key with a restore prefix", show: hitText }),
  "key ls": command({
    op: "keyList", args: [], summary: "list CI keys",
    show: (keys) => ({ json: keys, text: keys.length ? table([["KEY", "ID", "UPDATED"], ...keys.map((k) => [k.key, k.id, k.updatedAt])]) : "" }),
  }),
  "key rm": command({ op: "keyRemove", args: ["name"], summary: "remove a CI key", show: (r) => ({ json: r, text: `removed ${r.key}` }) }),
  "lease create": command({ op: "leaseCreate", args: [], show: (l) => ({ json: l, text: l.id }) }),
  "lease add": command({ op: "leaseAdd", args: ["id", "ref"], show: (l) => ({ json: l, text: leaseText(l) }) }),
  "lease ls": command({ op: "leaseList", args: [], show: (ls) => ({ json: ls, text: ls.map(leaseText).join("\n") }) }),
  "lease rm": command({ op: "leaseRemove", args: ["id"], show: (r) => ({ json: r, text: `removed ${r.id}` }) }),
  merge: command({ op: "merge", args: ["refs..."], usage: "REF REF...", summary: "a merged record of REFs (later ones win, deletions included)", show: idText }),
  diff: command({
    op: "diff", args: ["lower", "upper?"], usage: "LOWER [UPPER]",
    summary: "the changes from LOWER to UPPER (or to an empty tree) as a record", show: idText,
  }),
  import: command({
    op: "importLayer", args: ["source"], usage: "FILE|-|oci:DIR[:TAG]",
    summary: "import a layer blob (FILE, - for stdin) or an OCI layout image (oci:DIR[:TAG])",
    async prepare(p, c) {
      const progress = (await import("./progress.ts")).meter("importing", p);
      const input = given<"importLayer">(p);
      // Through a server, what the source reads here goes as the request body.
      const { forCall } = await import("../transfer/sources.ts"); // off the start-up path
      const { source, body } = forCall(String(input.source), c.remote, progress);
      return { input: { ...input, source }, extra: { body, progress }, done: () => progress?.(-1) };
    },
    show: idText,
  }),
  export: command({
    op: "exportRecord", args: ["ref"], summary: "blobs for REF's layer chain; with --output DIR, an OCI image layout",
    async prepare(p) {
      const progress = (await import("./progress.ts")).meter("exporting", p);
      const input = given<"exportRecord">(p);
      return { input: { ...input, output: input.output && resolvePath(input.output) }, extra: { progress }, done: () => progress?.(-1) };
    },
    show(r) {
      const lines = r.layers.map((l) => `${l.digest}\t${l.mediaType}\t${humanSize(l.size)}`);
      lines.push(`chain ${r.chainID}`);
      if ("manifest" in r && r.manifest) lines.push(`manifest ${r.manifest.digest}`);
      return { json: r, text: lines.join("\n") };
    },
  }),
  push: transferring({
    op: "push", args: ["ref", "target"], usage: "REF HOST[:PORT]/REPO[:TAG]", verb: "pushing",
    summary: "push REF's layer chain to a registry as an OCI image, sending only what it lacks",
    prepare: async (p) => ({ input: registryFiles(given<"push">(p)) }),
    show(r) {
      const lines = r.layers.map((l) => `${l.digest}\t${humanSize(l.size)}\t${l.action}`);
      lines.push(`${r.target}@${r.digest}`);
      return { json: r, text: lines.join("\n") };
    },
  }),
  pull: transferring({
    op: "pull", args: ["source"], usage: "HOST[:PORT]/REPO[:TAG|@DIGEST]", verb: "pulling",
    summary: "pull an image from a registry as a chain of records (a missing tag is a cache miss, exit 7)",
    prepare: async (p) => ({ input: registryFiles(given<"pull">(p)) }),
    show: (r) => ({ json: r, text: `${r.id}\t${r.source}${r.exact ? "" : " (restored)"}` }),
  }),
  gc: command({
    op: "gc", args: [], summary: "remove blobs and directories nothing refers to",
    show: (r) => ({ json: r, text: `removed ${r.blobs} blobs and ${r.dirs} directories, ${humanSize(r.bytes)} freed` }),
  }),
  check: command({
    op: "check", args: [], summary: "consistency check of the metadata against the disk",
    show(r) {
      const lines = r.problems.map((x) => `${x.repaired ? "repaired" : "problem"}\t${x.problem}\t${x.id ?? x.snapshot ?? x.path}\t${x.detail}`);
      return { json: r, text: lines.length ? lines.join("\n") : "no problems" };
    },
  }),
};

/** `serve` runs the daemon itself rather than an operation; its flags come from its schema all the same. */
export const serveSpec: CommandSpec & { summary: string; positionals: Field[] } = {
  args: [], flags: fields(serveInput), positionals: [], summary: "run the control endpoint and automatic GC",
};
