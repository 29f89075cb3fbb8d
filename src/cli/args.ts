/**
 * Command-line parsing: global flags anywhere, `--flag value` or `--flag=value`,
 * repeatable flags collected into arrays. Knows flag names and arity, never meaning.
 */
import { usage } from "../core/errors.ts";

type Arity = "bool" | "value" | "multi";

export interface CommandSpec {
  flags: { [name: string]: Arity };
  /** Positional names; a trailing `...` takes the rest. */
  args: string[];
  /** How many positionals are required. */
  required: number;
}

export const globalFlags: { [name: string]: Arity } = {
  root: "value", addr: "value", json: "bool", "token-file": "value", help: "bool", snapshotter: "value",
};

export interface Parsed {
  command: string;
  globals: { [name: string]: string | boolean | undefined };
  flags: { [name: string]: string | boolean | string[] | undefined };
  args: string[];
}

export function parseArgs(argv: string[], specs: { [command: string]: CommandSpec }): Parsed {
  const globals: Parsed["globals"] = {};
  const flags: Parsed["flags"] = {};
  const words: string[] = [];
  let command: string | undefined;
  let spec: CommandSpec | undefined;

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith("--") || word === "-") {
      if (word === "-h") {
        globals.help = true;
        continue;
      }
      if (command === undefined) {
        command = word;
        spec = specs[word];
        if (!spec) throw usage(`unknown command "${word}" (see strata --help)`);
      } else words.push(word);
      continue;
    }
    const eq = word.indexOf("=");
    const name = word.slice(2, eq < 0 ? undefined : eq);
    const arity = spec?.flags[name] ?? globalFlags[name];
    if (!arity) throw usage(`unknown flag --${name}${command ? ` for ${command}` : ""}`);
    const target = spec?.flags[name] ? flags : globals;
    if (arity === "bool") {
      if (eq >= 0) throw usage(`--${name} takes no value`);
      target[name] = true;
      continue;
    }
    const value = eq >= 0 ? word.slice(eq + 1) : argv[++i];
    if (value === undefined) throw usage(`--${name} needs a value`);
    if (arity === "multi") ((flags[name] ??= []) as string[]).push(value);
    else target[name] = value;
  }

  if (command === undefined) return { command: "help", globals, flags, args: [] };
  const s = spec!;
  const rest = s.args.at(-1)?.endsWith("...");
  if (words.length < s.required) throw usage(`${command}: missing ${s.args[words.length]!.replace("...", "")}`);
  if (!rest && words.length > s.args.length) throw usage(`${command}: unexpected argument "${words[s.args.length]}"`);
  return { command, globals, flags, args: words };
}
