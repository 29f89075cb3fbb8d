/**
 * Command-line parsing: a command of one or two words, global flags anywhere,
 * `--flag value` or `--flag=value`, repeatable flags collected into lists, positional
 * words into the input fields they name. What a flag is (a switch, a value, a list)
 * comes from the command's input schema (api/fields.ts); meaning is never parsed here.
 */
import { type Field, type FieldKind } from "../api/fields.ts";
import { usage } from "../core/errors.ts";
import { didYouMean } from "./suggest.ts";

const quote = (s: string) => `"${s}"`;

export interface CommandSpec {
  /** Flags: the input fields not given by position. */
  flags: Field[];
  /** Positional input fields, in order: `name...` takes the rest as a list, `name?` may be left out. */
  args: string[];
}

export interface GlobalFlag {
  name: string;
  kind: FieldKind;
  /** The word for its value in help. */
  form: string;
  description: string;
}

export const globalFlags: GlobalFlag[] = [
  { name: "root", kind: "value", form: "DIR", description: "the store (default $STRATA_ROOT, $XDG_DATA_HOME/strata, ~/.local/share/strata; /var/lib/strata as root)" },
  { name: "addr", kind: "value", form: "ADDR", description: "talk to a running strata serve: unix:/path or http://host:port (default $STRATA_ADDR)" },
  { name: "token-file", kind: "value", form: "FILE", description: "the bearer token for --addr over TCP (default $STRATA_TOKEN, else ROOT/token)" },
  { name: "snapshotter", kind: "value", form: "overlayfs|native|auto", description: "for a new root: overlayfs, native or auto (default $STRATA_SNAPSHOTTER, else auto); a root keeps its own" },
  { name: "json", kind: "bool", form: "", description: "one JSON document on stdout (NDJSON for streams)" },
  { name: "help", kind: "bool", form: "", description: "show help" },
];

export interface Parsed {
  /** The command's name: one word, or two for `key set`, `lease add` and the like. */
  command: string;
  globals: { [name: string]: string | boolean | undefined };
  /** The command's input, by field name, as the user gave it (checked later by its schema). */
  input: { [field: string]: unknown };
}

/** A positional's field name and shape: `name`, `name?`, `name...`, `name...?`. */
export const positional = (arg: string) => ({
  name: arg.replace(/(\.\.\.)?\??$/, ""),
  rest: arg.includes("..."),
  optional: arg.endsWith("?"),
});

/** An unknown command, with the nearest known one (a subcommand of its group, if it names one). */
function unknownCommand(command: string, known: string[]) {
  const [group] = command.split(" ");
  const names = command.includes(" ")
    ? known.filter((c) => c.startsWith(`${group} `))
    : new Set(known.filter((c) => !c.startsWith("__")).map((c) => c.split(" ")[0]!));
  return usage(`unknown command "${command}"${didYouMean(command, names, quote) || " (see strata help)"}`);
}

/** `help` when no command is given. */
export function parseArgs(argv: string[], specs: { [command: string]: CommandSpec }): Parsed {
  const globals: Parsed["globals"] = {};
  const input: Parsed["input"] = {};
  const words: string[] = [];
  let command: string | undefined;
  let spec: CommandSpec | undefined;
  const groups = new Set(Object.keys(specs).filter((c) => c.includes(" ")).map((c) => c.split(" ")[0]!));

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
      if (command === undefined || (!spec && groups.has(command))) {
        command = command === undefined ? word : `${command} ${word}`;
        spec = specs[command];
        if (!spec && !groups.has(command)) throw unknownCommand(command, Object.keys(specs));
      } else words.push(word);
      continue;
    }
    const eq = word.indexOf("=");
    const name = word.slice(2, eq < 0 ? undefined : eq);
    const own = spec?.flags.find((f) => f.flag === name);
    const global = globalFlags.find((g) => g.name === name);
    const kind = own?.kind ?? global?.kind;
    if (!kind) {
      const names = [...(spec?.flags.map((f) => f.flag) ?? []), ...globalFlags.map((g) => g.name)];
      throw usage(`unknown flag --${name}${command ? ` for ${command}` : ""}${didYouMean(name, names, (n) => `--${n}`)}`);
    }
    const set = (value: unknown) => {
      if (own) input[own.name] = value;
      else globals[name] = value as string | boolean;
    };
    if (kind === "bool") {
      if (eq >= 0) throw usage(`--${name} takes no value`);
      set(true);
      continue;
    }
    const value = eq >= 0 ? word.slice(eq + 1) : argv[++i];
    if (value === undefined) throw usage(`--${name} needs a value`);
    if (kind === "multi") ((input[own!.name] ??= []) as string[]).push(value);
    else set(value);
  }

  if (command === undefined) return { command: "help", globals, input };
  // `COMMAND --help` answers before any argument is checked.
  if (globals.help) return { command, globals, input };
  if (!spec) throw usage(`${command}: which one? (${Object.keys(specs).filter((c) => c.startsWith(`${command} `)).map((c) => c.split(" ")[1]).join(", ")})`);
  let at = 0;
  for (const arg of spec.args.map(positional)) {
    if (arg.rest) {
      if (at >= words.length && !arg.optional) throw usage(`${command}: missing ${arg.name.toUpperCase()}`);
      input[arg.name] = words.slice(at);
      at = words.length;
    } else if (at < words.length) input[arg.name] = words[at++];
    else if (!arg.optional) throw usage(`${command}: missing ${arg.name.toUpperCase()}`);
  }
  if (at < words.length) throw usage(`${command}: unexpected argument "${words[at]}"`);
  return { command, globals, input };
}
