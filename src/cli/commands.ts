/**
 * Each command: its flags, how its arguments become a service input, and how its
 * result reads for a person. JSON output is always the service's own result.
 */
import type { Caller } from "../api/invoke.ts";
import type { PruneSummary, Service } from "../api/service.ts";
import type { Problem } from "../core/check.ts";
import { usage } from "../core/errors.ts";
import type { KeyHit } from "../core/keys.ts";
import type { Lease } from "../core/leases.ts";
import type { Record } from "../core/record.ts";
import { humanSize } from "../core/units.ts";
import type { CommandSpec, Parsed } from "./args.ts";
import { recordDetails, recordRows, table, totalsText } from "./format.ts";
import { resolve as resolvePath } from "node:path";
import { counted, meter } from "./progress.ts";

export interface Output {
  /** Streams print one JSON object a line; the rest one document. */
  json: unknown;
  /** For a person; a function when it is costly, so --json never builds it. */
  text: string | (() => string);
}

interface Command extends CommandSpec {
  summary: string;
  run(c: Caller, p: Parsed, print: (o: Output) => void): Promise<Output | void>;
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const bool = (v: unknown) => (v === true ? true : undefined);
const strs = (v: unknown) => (Array.isArray(v) ? v as string[] : undefined);

const recordOut = (r: Record): Output => ({ json: r, text: r.id });
const snapshotterText = (s: Result<"du">["snapshotter"]) => `${"Snapshotter:".padEnd(15)}${s.name}${s.reason ? ` (${s.reason})` : ""}`;

/** A subcommand (`key set`, `lease add`) takes exactly n arguments. */
function arity(p: Parsed, n: number) {
  if (p.args.length !== n + 1) throw usage(`${p.command} ${p.args[0]}: expected ${n} argument${n === 1 ? "" : "s"}`);
}
type Result<K extends keyof Service> = Awaited<ReturnType<Service[K] extends (...a: never[]) => infer R ? () => R : never>>;

export const commands: { [name: string]: Command } = {
  version: {
    summary: "print the version", flags: {}, args: [], required: 0,
    async run(c) {
      const v = await c.call("version", {}) as Result<"version">;
      return { json: v, text: `strata ${v.version} (${v.runtime})` };
    },
  },
  new: {
    summary: "create a held mutable snapshot",
    flags: { parent: "value", description: "value", type: "value", retain: "bool", hold: "value" },
    args: [], required: 0,
    async run(c, p) {
      const f = p.flags;
      const r = await c.call("create", {
        parent: str(f.parent), description: str(f.description), type: str(f.type),
        retain: bool(f.retain), hold: str(f.hold),
      }) as Result<"create">;
      return { json: r, text: `${r.id}\t${r.path}` };
    },
  },
  path: {
    summary: "a directory for REF", flags: { rw: "bool", hold: "value" }, args: ["REF"], required: 1,
    async run(c, p) {
      const r = await c.call("path", { ref: p.args[0], rw: bool(p.flags.rw), hold: str(p.flags.hold) }) as Result<"path">;
      return { json: r, text: r.path };
    },
  },
  commit: {
    summary: "commit a mutable record", flags: { hold: "value", key: "value" }, args: ["ID"], required: 1,
    async run(c, p) {
      return recordOut(await c.call("commit", { id: p.args[0], hold: str(p.flags.hold), key: str(p.flags.key) }) as Record);
    },
  },
  release: {
    summary: "end the hold on a record", flags: {}, args: ["ID"], required: 1,
    async run(c, p) {
      const r = await c.call("release", { id: p.args[0] }) as Result<"release">;
      return { json: r, text: `${r.deleted ? "deleted" : "released"} ${r.id}` };
    },
  },
  reopen: {
    summary: "make a committed record's mutable twin writable again", flags: { hold: "value" }, args: ["ID"], required: 1,
    async run(c, p) {
      const r = await c.call("reopen", { id: p.args[0], hold: str(p.flags.hold) }) as Result<"reopen">;
      return { json: r, text: `${r.id}\t${r.path}` };
    },
  },
  info: {
    summary: "one record, all fields", flags: {}, args: ["REF"], required: 1,
    async run(c, p) {
      const r = await c.call("info", { ref: p.args[0] }) as Result<"info">;
      return { json: r, text: `${recordDetails(r)}\n${snapshotterText(r.snapshotter)}` };
    },
  },
  du: {
    summary: "disk usage", flags: { filter: "multi", verbose: "bool" }, args: [], required: 0,
    async run(c, p) {
      const r = await c.call("du", { filter: strs(p.flags.filter), verbose: bool(p.flags.verbose) }) as Result<"du">;
      const text = () => {
        const body = p.flags.verbose
          ? r.records.map(recordDetails).join("\n\n")
          : r.records.length ? table(recordRows(r.records)) : "";
        return [body, totalsText(r.totals), snapshotterText(r.snapshotter)].filter(Boolean).join("\n\n");
      };
      return { json: r, text };
    },
  },
  prune: {
    summary: "remove unheld records",
    flags: {
      all: "bool", filter: "multi", "keep-duration": "value", "max-used-space": "value",
      "min-free-space": "value", "reserved-space": "value", "dry-run": "bool", verbose: "bool",
    },
    args: [], required: 0,
    async run(c, p, print) {
      const f = p.flags;
      const items = c.stream("prune", {
        all: bool(f.all), filter: strs(f.filter), keepDuration: str(f["keep-duration"]),
        maxUsedSpace: str(f["max-used-space"]), minFreeSpace: str(f["min-free-space"]),
        reservedSpace: str(f["reserved-space"]), dryRun: bool(f["dry-run"]), verbose: bool(f.verbose),
      }) as AsyncIterable<Record | PruneSummary>;
      let header = false;
      for await (const item of items) {
        if ("summary" in item) {
          print({ json: item, text: `Total:\t${humanSize(item.summary.bytes)} in ${item.summary.records} records` });
          continue;
        }
        const rows = recordRows([item]);
        const text = f.verbose ? recordDetails(item) + "\n" : table(header ? [rows[1]!] : rows);
        header = true;
        print({ json: item, text });
      }
    },
  },
  key: {
    summary: "CI cache keys: set NAME REF | get NAME [--restore-prefix P]... | ls | rm NAME",
    flags: { "restore-prefix": "multi" }, args: ["set|get|ls|rm", "ARGS..."], required: 1,
    async run(c, p) {
      const [sub, name, ref] = p.args;
      const want = (n: number) => arity(p, n);
      const hitText = (h: { key: string; id: string; exact: boolean }) => `${h.id}\t${h.key}${h.exact ? "" : " (restored)"}`;
      switch (sub) {
        case "set": {
          want(2);
          const h = await c.call("keySet", { name, ref }) as KeyHit;
          return { json: h, text: hitText(h) };
        }
        case "get": {
          want(1);
          const h = await c.call("keyGet", { name, restorePrefix: strs(p.flags["restore-prefix"]) }) as KeyHit;
          return { json: h, text: hitText(h) };
        }
        case "ls": {
          want(0);
          const keys = await c.call("keyList", {}) as Result<"keyList">;
          return { json: keys, text: keys.length ? table([["KEY", "ID", "UPDATED"], ...keys.map((k) => [k.key, k.id, k.updatedAt])]) : "" };
        }
        case "rm": {
          want(1);
          const r = await c.call("keyRemove", { name }) as Result<"keyRemove">;
          return { json: r, text: `removed ${r.key}` };
        }
      }
      throw usage(`key: unknown subcommand "${sub}" (set, get, ls, rm)`);
    },
  },
  lease: {
    summary: "leases: create [--id ID] [--expires DUR] | add ID REF | ls | rm ID",
    flags: { id: "value", expires: "value" }, args: ["create|add|ls|rm", "ARGS..."], required: 1,
    async run(c, p) {
      const [sub, id, ref] = p.args;
      const want = (n: number) => arity(p, n);
      const leaseText = (l: Lease) => `${l.id}\t${l.expiresAt ? `expires ${l.expiresAt}` : "no expiry"}\t${l.records.length} records`;
      switch (sub) {
        case "create": {
          want(0);
          const l = await c.call("leaseCreate", { id: str(p.flags.id), expires: str(p.flags.expires) }) as Lease;
          return { json: l, text: l.id };
        }
        case "add": {
          want(2);
          const l = await c.call("leaseAdd", { id, ref }) as Lease;
          return { json: l, text: leaseText(l) };
        }
        case "ls": {
          want(0);
          const ls = await c.call("leaseList", {}) as Lease[];
          return { json: ls, text: ls.map(leaseText).join("\n") };
        }
        case "rm": {
          want(1);
          const r = await c.call("leaseRemove", { id }) as Result<"leaseRemove">;
          return { json: r, text: `removed ${r.id}` };
        }
      }
      throw usage(`lease: unknown subcommand "${sub}" (create, add, ls, rm)`);
    },
  },
  merge: {
    summary: "a merged record of REFs (later ones win, deletions included)", flags: {}, args: ["REF", "REF..."], required: 1,
    async run(c, p) {
      return recordOut(await c.call("merge", { refs: p.args }) as Record);
    },
  },
  diff: {
    summary: "the changes from LOWER to UPPER (or to an empty tree) as a record", flags: {}, args: ["LOWER", "UPPER"], required: 1,
    async run(c, p) {
      return recordOut(await c.call("diff", { lower: p.args[0], upper: p.args[1] }) as Record);
    },
  },
  import: {
    summary: "import a layer blob (FILE, - for stdin) or an OCI layout image (oci:DIR[:TAG])",
    flags: { parent: "value", "media-type": "value", lazy: "bool", description: "value" },
    args: ["FILE|-|oci:DIR[:TAG]"], required: 1,
    async run(c, p) {
      const source = p.args[0]!;
      const oci = source.startsWith("oci:");
      const local = oci ? `oci:${resolvePath(source.slice(4))}` : source === "-" ? "-" : resolvePath(source);
      const progress = await meter("importing", p);
      const { fileSource, layerFileSize } = await import("../layer/io.ts"); // off the start-up path
      // Through a server, a file or stdin goes as the request body; a layout is read there.
      if (c.remote && !oci && local !== "-") layerFileSize(local);
      const body = c.remote && !oci ? counted(fileSource(local), progress) : undefined;
      const r = await c.call("importLayer", {
        source: body ? undefined : local, parent: str(p.flags.parent), mediaType: str(p.flags["media-type"]),
        lazy: bool(p.flags.lazy), description: str(p.flags.description),
      }, { body, progress }) as Record;
      progress?.(-1);
      return recordOut(r);
    },
  },
  export: {
    summary: "blobs for REF's layer chain; with --output DIR, an OCI image layout",
    flags: { compression: "value", output: "value", tag: "value" }, args: ["REF"], required: 1,
    async run(c, p) {
      const output = str(p.flags.output);
      const progress = await meter("exporting", p);
      const r = await c.call("exportRecord", {
        ref: p.args[0], compression: str(p.flags.compression), output: output && resolvePath(output), tag: str(p.flags.tag),
      }, { progress }) as { layers: { digest: string; mediaType: string; size: number }[]; chainID: string; manifest?: { digest: string } };
      progress?.(-1);
      const lines = r.layers.map((l) => `${l.digest}\t${l.mediaType}\t${humanSize(l.size)}`);
      lines.push(`chain ${r.chainID}`);
      if (r.manifest) lines.push(`manifest ${r.manifest.digest}`);
      return { json: r, text: lines.join("\n") };
    },
  },
  gc: {
    summary: "remove blobs and directories nothing refers to", flags: {}, args: [], required: 0,
    async run(c) {
      const r = await c.call("gc", {}) as Result<"gc">;
      return { json: r, text: `removed ${r.blobs} blobs and ${r.dirs} directories, ${humanSize(r.bytes)} freed` };
    },
  },
  check: {
    summary: "consistency check of the metadata against the disk", flags: { repair: "bool" }, args: [], required: 0,
    async run(c, p) {
      const r = await c.call("check", { repair: bool(p.flags.repair) }) as { problems: Problem[] };
      const lines = r.problems.map((x) =>
        `${x.repaired ? "repaired" : "problem"}\t${x.problem}\t${x.id ?? x.path}\t${x.detail}`
      );
      return { json: r, text: lines.length ? lines.join("\n") : "no problems" };
    },
  },
};

export function helpText(): string {
  const rows: [string, string][] = [
    ...Object.entries(commands).map(([name, c]): [string, string] => [`${name} ${c.args.join(" ")}`.trim(), c.summary]),
    ["serve", "run the control endpoint and automatic GC ([--listen HOST:PORT]... [--config FILE])"],
  ];
  // One column for the summaries, two spaces past the longest usage.
  const width = Math.max(...rows.map(([usage]) => usage.length)) + 2;
  return [
    "strata: build-cache snapshot manager",
    "",
    "usage: strata [--root DIR] [--json] COMMAND [ARGS]",
    "",
    "commands:",
    ...rows.map(([usage, summary]) => `  ${usage.padEnd(width)}${summary}`),
    "",
    "--root defaults to $STRATA_ROOT, $XDG_DATA_HOME/strata, ~/.local/share/strata (/var/lib/strata as root)",
    "--snapshotter overlayfs|native|auto ($STRATA_SNAPSHOTTER, default auto) for a new root; a root keeps its own",
  ].join("\n");
}
