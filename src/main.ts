/** strata's entry: `bun src/main.ts …`, `deno run -A src/main.ts …`, or the compiled binary. */
import { writeSync } from "node:fs";
import process from "node:process";
import pkg from "../package.json" with { type: "json" };
import { runtimeName } from "./runtime/which.ts";

const argv = process.argv.slice(2);

// `strata version` is what scripts run to see that strata is there: it is answered
// before the CLI's modules load, with the version command's own human output.
if (argv.length === 1 && argv[0] === "version") {
  writeSync(1, `strata ${pkg.version} (${runtimeName()})\n`);
  process.exit(0);
}

const { runCli } = await import("./cli/main.ts");
// Exit at once: output is written synchronously, and nothing left open (a keep-alive
// connection, a timer) should hold the process.
process.exit(await runCli(argv));
