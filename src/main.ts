/** strata's entry: `bun src/main.ts …`, `deno run -A src/main.ts …`, or the compiled binary. */
import process from "node:process";
import { runCli } from "./cli/main.ts";

// Exit at once: output is written synchronously, and nothing left open (a keep-alive
// connection, a timer) should hold the process.
process.exit(await runCli(process.argv.slice(2)));
