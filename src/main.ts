/** strata's entry: `bun src/main.ts …`, `deno run -A src/main.ts …`, or the compiled binary. */
import { writeSync } from "node:fs";
import process from "node:process";
import pkg from "../package.json" with { type: "json" };
import { helpAsked } from "./cli/help-asked.ts";
import { runtimeName } from "./runtime/which.ts";

const argv = process.argv.slice(2);

// `strata version` is what scripts run to see that strata is there: it is answered
// before the CLI's modules load, with the version command's own human output.
if (argv.length === 1 && argv[0] === "version") {
  writeSync(1, `strata ${pkg.version} (${runtimeName()})\n`);
  process.exit(0);
}

// Help, as cli/table.ts makes it: a compiled binary has it built in (compile.ts), so
// `strata help prune` starts as fast as `version` does.
declare const STRATA_HELP: { [command: string]: string } | undefined;
if (typeof STRATA_HELP !== "undefined") {
  const text = STRATA_HELP[helpAsked(argv) ?? "\0"];
  if (text !== undefined) {
    writeSync(1, `${text}\n`);
    process.exit(0);
  }
}

const { runCli } = await import("./cli/main.ts");
// Exit at once: output is written synchronously, and nothing left open (a keep-alive
// connection, a timer) should hold the process.
process.exit(await runCli(argv));
