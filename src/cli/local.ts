/**
 * Commands that need no store: `help [COMMAND]` and `completion SHELL`. Like the rest,
 * they live in the table the parser uses, so help describes them too.
 */
import type { Field } from "../api/fields.ts";
import { usage } from "../core/errors.ts";
import type { Command } from "./commands.ts";
import { script } from "./complete.ts";
import { commandHelp, groupHelp, helpText } from "./help.ts";
import { didYouMean } from "./suggest.ts";

const field = (name: string, description: string, choices?: string[]): Field => ({
  name, flag: name, kind: "value", required: false, description, form: choices ? choices.join("|") : name.toUpperCase(), choices,
});

/** `help` and `completion`, over the table they describe (which includes them). */
export function localCommands(table: () => { [name: string]: Command }): { [name: string]: Command } {
  return {
    help: {
      summary: "what strata does, or one command's flags and examples", args: ["command...?"], flags: [],
      positionals: [field("command", "a command, as `strata help key set`")],
      async run(_, p) {
        const name = ((p.input.command as string[] | undefined) ?? []).join(" ");
        const all = table();
        const text = !name
          ? helpText(all)
          : all[name]
          ? commandHelp(name, all[name]!)
          : Object.keys(all).some((n) => n.startsWith(`${name} `))
          ? groupHelp(name, all)
          : undefined;
        if (text === undefined) throw usage(`help: no command "${name}"${didYouMean(name, Object.keys(all), (n) => `"${n}"`) || " (see strata help)"}`);
        return { json: { help: text }, text };
      },
    },
    completion: {
      summary: "a completion script for a shell", args: ["shell"], flags: [],
      positionals: [field("shell", "the shell", ["bash", "zsh", "fish"])],
      async run(_, p) {
        const text = script(String(p.input.shell));
        return { json: { script: text }, text };
      },
    },
  };
}
