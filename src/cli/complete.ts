/**
 * Shell completion (SPEC §9): `strata completion bash|zsh|fish` prints a script whose
 * function asks `strata __complete WORDS…` for the candidates of the last word: command
 * names, the flags of the command at hand, a flag's choices, and record IDs and
 * `key:NAME`s where a record is wanted (from `du --json` and `key ls --json`, through
 * the daemon when one runs).
 */
import { type Field } from "../api/fields.ts";
import type { Caller } from "../api/invoke.ts";
import { usage } from "../core/errors.ts";
import { globalFlags, positional } from "./args.ts";
import type { Command } from "./commands.ts";

/** Value forms that name a record. */
const recordForms = new Set(["REF", "ID"]);

/** The candidates for the last of `words` (the words after `strata`), filtered by what it starts with. */
export async function candidates(
  words: string[],
  table: { [name: string]: Command },
  records: () => Promise<{ ids: string[]; keys: string[] }>,
): Promise<string[]> {
  const current = words.at(-1) ?? "";
  const before = words.slice(0, -1);
  const names = Object.keys(table).filter((n) => !n.startsWith("__"));
  // The command: the first words that are not flags (or flag values).
  const plain: string[] = [];
  let flagFirst: Field | { kind: string; form: string } | undefined;
  let command: Command | undefined;
  let commandName = "";
  for (let i = 0; i < before.length; i++) {
    const w = before[i]!;
    if (w.startsWith("--")) {
      const f = command?.flags.find((x) => `--${x.flag}` === w) ?? globalFlags.find((g) => `--${g.name}` === w);
      if (f && f.kind !== "bool" && i === before.length - 1) flagFirst = f;
      else if (f && f.kind !== "bool") i++;
      continue;
    }
    plain.push(w);
    const name = plain.join(" ");
    if (!command && table[name]) [command, commandName] = [table[name], name];
  }
  const pick = (xs: Iterable<string>) => [...new Set(xs)].filter((x) => x.startsWith(current)).sort();
  if (flagFirst) {
    if ("choices" in flagFirst && flagFirst.choices) return pick(flagFirst.choices);
    if (recordForms.has(flagFirst.form)) return pick(await refs(records));
    return [];
  }
  if (current.startsWith("-")) {
    return pick([...(command?.flags ?? []).map((f) => `--${f.flag}`), ...globalFlags.map((g) => `--${g.name}`)]);
  }
  if (!command) {
    const group = plain.join(" ");
    const next = names.filter((n) => (group ? n.startsWith(`${group} `) : true)).map((n) => n.split(" ")[plain.length]!);
    return pick(next.filter(Boolean));
  }
  // The positional this word fills (a trailing `name...` takes the rest).
  const taken = plain.length - commandName.split(" ").length;
  const at = command.args.findIndex((a, i) => i === taken || (positional(a).rest && i <= taken));
  const field = command.positionals[at];
  if (field?.choices) return pick(field.choices);
  if (field && recordForms.has(field.form)) return pick(await refs(records));
  return [];
}

async function refs(records: () => Promise<{ ids: string[]; keys: string[] }>) {
  try {
    const { ids, keys } = await records();
    return [...ids, ...keys.map((k) => `key:${k}`)];
  } catch {
    return []; // no store to ask: no record to offer
  }
}

/** The records a completion offers, asked of the store (or daemon) as any command would. */
export async function recordsOf(c: Caller) {
  const [du, keys] = await Promise.all([c.call("du", {}), c.call("keyList", {})]);
  return { ids: du.records.map((r) => r.id), keys: keys.map((k) => k.key) };
}

/** The script that wires `strata __complete` into a shell. */
export function script(shell: string): string {
  switch (shell) {
    case "bash":
      return [
        "# strata completion for bash: source <(strata completion bash)",
        "_strata() {",
        "  local IFS=$'\\n'",
        "  COMPREPLY=($(strata __complete \"${COMP_WORDS[@]:1:$COMP_CWORD}\" 2>/dev/null))",
        "}",
        "complete -o default -F _strata strata",
      ].join("\n");
    case "zsh":
      return [
        "#compdef strata",
        "# strata completion for zsh: source <(strata completion zsh)",
        "_strata() {",
        "  local -a c",
        "  c=(\"${(@f)$(strata __complete \"${(@)words[2,CURRENT]}\" 2>/dev/null)}\")",
        "  compadd -Q -- $c",
        "}",
        "compdef _strata strata",
      ].join("\n");
    case "fish":
      return [
        "# strata completion for fish: strata completion fish | source",
        "complete -c strata -f -a '(strata __complete (commandline -opc)[2..-1] (commandline -ct))'",
      ].join("\n");
  }
  throw usage(`completion: no script for "${shell}" (bash, zsh or fish)`);
}
