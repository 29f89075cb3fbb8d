/**
 * The CLI: parse, open the root, run one command, print, exit with SPEC §4's code.
 * Mistakes give one line on stderr, never a stack trace.
 */
import process from "node:process";
import type { Service } from "../api/service.ts";
import { codeOf, exitCodes, StrataError } from "../core/errors.ts";
import { runtimeName } from "../runtime/which.ts";
import pkg from "../../package.json" with { type: "json" };
import { parseArgs } from "./args.ts";
import { stderr, stdout, stdoutJson } from "./io.ts";
import { commands, helpText, type Output } from "./commands.ts";

export async function runCli(argv: string[]): Promise<number> {
  let json = argv.includes("--json");
  let svc: Service | undefined;
  const print = (o: Output) => {
    if (json) return stdoutJson(o.json);
    if (o.text !== "") stdout(o.text + "\n");
  };
  try {
    const p = parseArgs(argv, commands);
    json = p.globals.json === true;
    if (p.command === "help" || p.globals.help) {
      stdout(helpText() + "\n");
      return 0;
    }
    if (p.globals.addr !== undefined || process.env.STRATA_ADDR) {
      throw new StrataError("usage", "--addr needs strata serve, which this build does not have yet");
    }
    const command = commands[p.command]!;
    if (p.command !== "version") {
      // Loaded on demand: `version` starts without the store, the snapshotter or SQLite.
      const [{ defaultRoot, openRoot }, { loadRuntime }] = await Promise.all([
        import("../api/open.ts"),
        import("../runtime/load.ts"),
      ]);
      const root = typeof p.globals.root === "string" ? p.globals.root : defaultRoot();
      // check and gc report damage themselves instead of letting start-up mend it first.
      svc = await openRoot(root, await loadRuntime(), { scan: !["check", "gc"].includes(p.command) });
    }
    const out = await command.run(svc ?? versionOnly(), p, print);
    if (out) print(out);
    return 0;
  } catch (err) {
    const code = codeOf(err);
    const message = err instanceof StrataError ? err.message : describeError(err);
    stderr(
      json ? JSON.stringify({ error: { code, message } }) + "\n" : `strata: ${message}\n`,
    );
    if (!(err instanceof StrataError) && process.env.STRATA_DEBUG) console.error(err);
    return exitCodes[code];
  } finally {
    await svc?.close();
  }
}

/** `version` needs no root. */
function versionOnly(): Service {
  return { version: () => ({ version: pkg.version, runtime: runtimeName() }) } as Service;
}

/** System errors read as `EACCES: permission denied, mkdir '/x'`: keep that one line. */
function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0]!;
  return String(err);
}
