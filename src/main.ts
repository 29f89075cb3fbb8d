/** strata's entry: `bun src/main.ts …`, `deno run -A src/main.ts …`, or the compiled binary. */
import process from "node:process";
import { runCli } from "./cli/main.ts";

process.exitCode = await runCli(process.argv.slice(2));
