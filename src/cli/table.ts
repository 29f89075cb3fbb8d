/**
 * Every command the parser knows: the operations', `serve`, `help` and `completion`;
 * and the help each has, as text. A compiled binary carries these texts (compile.ts
 * builds them in), so `strata help prune` answers before the CLI's modules load.
 */
import { type Command, commands, serveSpec } from "./commands.ts";
import { commandHelp, groupHelp, helpText } from "./help.ts";
import { localCommands } from "./local.ts";

/** `serve` in the table, for parsing and help; it runs the daemon rather than an operation. */
const serve: Command = {
  ...serveSpec, summary: `${serveSpec.summary} on ROOT/strata.sock (and TCP with --listen)`, run: async () => {},
};

export const table: { [name: string]: Command } = { ...commands, serve };
Object.assign(table, localCommands(() => table));

/** Help by command (`""` for strata's own, a group's name for its list), as `help` prints it. */
export function helpTexts(): { [command: string]: string } {
  const out: { [command: string]: string } = { "": helpText(table) };
  for (const [name, c] of Object.entries(table)) {
    out[name] = commandHelp(name, c);
    const group = name.split(" ")[0]!;
    if (name.includes(" ") && !(group in out)) out[group] = groupHelp(group, table);
  }
  return out;
}
