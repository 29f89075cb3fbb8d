/**
 * Help, generated from the command table the parser uses: every command's usage and
 * summary, and for one command every flag with its description, so help can never
 * miss a flag the parser accepts.
 */
import type { Field } from "../api/fields.ts";
import { globalFlags, positional } from "./args.ts";
import type { Command } from "./commands.ts";
import { examples } from "./examples.ts";

/** Subcommand groups, and what their line in the command list says. */
const groupTitles: { [group: string]: string } = { key: "CI cache keys", lease: "leases" };

const argWord = (arg: string) => {
  const p = positional(arg);
  const word = p.name.toUpperCase().replace(/S$/, p.rest ? "" : "S");
  const shown = p.rest ? `${word}...` : word;
  return p.optional ? `[${shown}]` : shown;
};

/** The positionals of a command as a user types them. */
export const usageOf = (c: Command) => c.usage ?? c.args.map(argWord).join(" ");

/** `--hold DUR`, `--filter FILTER...` (repeatable), `--all`. */
const flagUsage = (f: Field) => (f.kind === "bool" ? `--${f.flag}` : `--${f.flag} ${f.form}${f.kind === "multi" ? "..." : ""}`);

/** Rows of two columns, the second starting two spaces past the longest first. */
function columns(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return rows.map(([a, b]) => `  ${a.padEnd(width)}${b}`.trimEnd());
}

export function helpText(commands: { [name: string]: Command }): string {
  const rows: [string, string][] = [];
  const seen = new Set<string>();
  for (const [name, c] of Object.entries(commands)) {
    const group = name.includes(" ") ? name.split(" ")[0]! : undefined;
    if (!group) {
      rows.push([`${name} ${usageOf(c)}`.trim(), c.summary]);
      continue;
    }
    if (seen.has(group)) continue;
    seen.add(group);
    const subs = Object.entries(commands).filter(([n]) => n.startsWith(`${group} `)).map(([n, s]) => [n.split(" ")[1]!, s] as const);
    const forms = subs.map(([sub, s]) =>
      [sub, usageOf(s), ...s.flags.filter((f) => !f.required).map((f) => `[${flagUsage(f)}]`)].filter(Boolean).join(" ")
    );
    rows.push([`${group} ${subs.map(([sub]) => sub).join("|")} ARGS...`, `${groupTitles[group] ?? group}: ${forms.join(" | ")}`]);
  }

  return [
    "strata: build-cache snapshot manager",
    "",
    "usage: strata [--root DIR] [--json] COMMAND [ARGS]",
    "",
    "commands:",
    ...columns(rows),
    "",
    "`strata help COMMAND` (or `strata COMMAND --help`) shows a command's flags and examples;",
    "`strata completion bash|zsh|fish` prints a completion script.",
    "--root defaults to $STRATA_ROOT, $XDG_DATA_HOME/strata, ~/.local/share/strata (/var/lib/strata as root)",
    "--snapshotter overlayfs|native|auto ($STRATA_SNAPSHOTTER, default auto) for a new root; a root keeps its own",
  ].join("\n");
}

/** One command: its usage, what it does, every flag it takes (value, default), examples. */
export function commandHelp(name: string, c: Command): string {
  const flags = c.flags.map((f): [string, string] => [flagUsage(f), f.description + (f.kind === "multi" ? " (repeatable)" : "")]);
  const globals = globalFlags.map((g): [string, string] => [g.kind === "bool" ? `--${g.name}` : `--${g.name} ${g.form}`, g.description]);
  return [
    `usage: strata ${name} ${usageOf(c)}${c.flags.length ? " [flags]" : ""}`.replace(/ +/g, " ").trimEnd(),
    "",
    c.summary,
    ...(flags.length ? ["", "flags:", ...columns(flags)] : []),
    ...(examples[name]?.length ? ["", "examples:", ...examples[name]!.map((e) => `  ${e}`)] : []),
    "",
    "global flags:",
    ...columns(globals),
  ].join("\n");
}

/** A group of subcommands (`key`, `lease`): each one's usage and summary. */
export function groupHelp(group: string, commands: { [name: string]: Command }): string {
  const subs = Object.entries(commands).filter(([n]) => n.startsWith(`${group} `));
  return [
    `usage: strata ${group} ${subs.map(([n]) => n.split(" ")[1]).join("|")} ...`,
    "",
    `${groupTitles[group] ?? group}:`,
    ...columns(subs.map(([n, c]) => [`${n} ${usageOf(c)}`.trim(), c.summary])),
    "",
    `\`strata help ${group} ${subs[0]?.[0].split(" ")[1] ?? ""}\` shows one of them.`,
  ].join("\n");
}
