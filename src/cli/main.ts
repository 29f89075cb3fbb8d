/**
 * The CLI: parse, pick how to reach the store (in this process, or a running
 * `strata serve`), run one command, print, exit with SPEC §4's code. Mistakes give one
 * line on stderr, never a stack trace.
 */
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import pkg from "../../package.json" with { type: "json" };
import type { Caller } from "../api/invoke.ts";
import { codeOf, exitCodes, StrataError, usage } from "../core/errors.ts";
import { runtimeName } from "../runtime/which.ts";
import { type CommandSpec, parseArgs, type Parsed } from "./args.ts";
import { commands, helpText, type Output } from "./commands.ts";
import { stderr, stdout, stdoutJson } from "./io.ts";

const serveSpec: CommandSpec = { flags: { listen: "multi", config: "value" }, args: [], required: 0 };

export async function runCli(argv: string[]): Promise<number> {
  if (argv[0] === "__run") return runForDaemon(argv[1]!, argv[2]!);
  let json = argv.includes("--json");
  let caller: Caller | undefined;
  const print = (o: Output) => {
    if (json) return stdoutJson(o.json);
    const text = typeof o.text === "function" ? o.text() : o.text;
    if (text !== "") stdout(text + "\n");
  };
  try {
    const p = parseArgs(argv, { ...commands, serve: serveSpec });
    json = p.globals.json === true;
    if (p.command === "help" || p.globals.help) {
      stdout(helpText() + "\n");
      return 0;
    }
    // A daemon and its children take it as the default for new roots.
    if (typeof p.globals.snapshotter === "string") process.env.STRATA_SNAPSHOTTER = p.globals.snapshotter;
    if (p.command === "serve") return await serveCommand(p);
    caller = await connect(p);
    const out = await commands[p.command]!.run(caller, p, print);
    if (out) print(out);
    return 0;
  } catch (err) {
    const code = codeOf(err);
    const message = err instanceof StrataError ? err.message : describeError(err);
    stderr(json ? JSON.stringify({ error: { code, message } }) + "\n" : `strata: ${message}\n`);
    if (!(err instanceof StrataError) && process.env.STRATA_DEBUG) console.error(err);
    return exitCodes[code];
  } finally {
    await caller?.close();
  }
}

const rootOf = async (p: Parsed) => {
  if (typeof p.globals.root === "string") return p.globals.root;
  const { defaultRoot } = await import("../api/open.ts");
  return defaultRoot();
};

/**
 * An explicit --addr (or STRATA_ADDR) means the server; otherwise a server answering on
 * ROOT/strata.sock is used, and without one the root is opened here.
 */
async function connect(p: Parsed): Promise<Caller> {
  const addr = typeof p.globals.addr === "string" ? p.globals.addr : process.env.STRATA_ADDR || undefined;
  if (p.command === "version" && !addr) return versionOnly(p.globals.json ? await rootOf(p) : undefined);
  // Loaded on demand: `version` and `--help` start without SQLite, Kysely or the server code.
  const [{ loadRuntime }, { parseAddress, remote }] = await Promise.all([
    import("../runtime/load.ts"),
    import("../api/client.ts"),
  ]);
  const runtime = await loadRuntime();
  const root = await rootOf(p);
  if (addr) {
    const a = parseAddress(addr, token(p, root));
    return remote(a, runtime.fetchVia(a.unix));
  }
  const socket = `${root}/strata.sock`;
  if (existsSync(socket)) {
    const viaSocket = runtime.fetchVia(socket);
    const answers = await viaSocket("http://localhost/healthz").then((r) => r.ok, () => false);
    if (answers) return remote({ base: "http://localhost", unix: socket }, viaSocket);
  }
  const [{ openRoot }, { direct }] = await Promise.all([import("../api/open.ts"), import("../api/invoke.ts")]);
  // check and gc report damage themselves instead of letting start-up mend it first.
  const snapshotter = typeof p.globals.snapshotter === "string" ? p.globals.snapshotter : undefined;
  return direct(await openRoot(root, runtime, { scan: !["check", "gc"].includes(p.command), snapshotter }));
}

/** STRATA_TOKEN, else --token-file, else the root's own token file when readable. */
function token(p: Parsed, root: string): string | undefined {
  if (process.env.STRATA_TOKEN) return process.env.STRATA_TOKEN.trim();
  const file = typeof p.globals["token-file"] === "string" ? p.globals["token-file"] : `${root}/token`;
  try {
    return readFileSync(file, "utf8").trim();
  } catch (err) {
    if (p.globals["token-file"]) throw usage(`cannot read token file ${file}: ${(err as Error).message}`);
    return undefined;
  }
}

async function serveCommand(p: Parsed): Promise<number> {
  const [{ loadRuntime }, { serve }] = await Promise.all([import("../runtime/load.ts"), import("../server/daemon.ts")]);
  const listen = (p.flags.listen as string[] | undefined) ?? [];
  return serve(await rootOf(p), await loadRuntime(), { listen, config: p.flags.config as string | undefined });
}

/**
 * The daemon's child for long operations (server/offload.ts): raw input as JSON on
 * stdin, results as NDJSON on stdout, an error as one `{"error": …}` line.
 */
async function runForDaemon(root: string, name: string): Promise<number> {
  const [{ loadRuntime }, { openRoot }, { direct }, { operations }] = await Promise.all([
    import("../runtime/load.ts"), import("../api/open.ts"), import("../api/invoke.ts"), import("../api/operations.ts"),
  ]);
  let input = "";
  for await (const chunk of process.stdin) input += chunk.toString();
  const caller = direct(await openRoot(root, await loadRuntime(), { scan: false }));
  try {
    const op = name as keyof typeof operations;
    if (!(op in operations)) throw usage(`no operation ${name}`);
    const raw = JSON.parse(input || "{}");
    if (operations[op].stream) for await (const item of caller.stream(op, raw)) stdout(JSON.stringify(item) + "\n");
    else stdout(JSON.stringify(await caller.call(op, raw)) + "\n");
    return 0;
  } catch (err) {
    stdout(JSON.stringify({ error: { code: codeOf(err), message: (err as Error).message ?? String(err) } }) + "\n");
    return 0;
  } finally {
    await caller.close();
  }
}

/** `version` needs no root; with --json it shows the root's snapshotter, once it has one. */
async function versionOnly(root?: string): Promise<Caller> {
  let snapshotter;
  if (root !== undefined) {
    const { recordedChoice } = await import("../snapshot/choose.ts");
    try {
      snapshotter = recordedChoice(root);
    } catch {
      // `version` answers whatever state the root is in.
    }
  }
  const version = { version: pkg.version, runtime: runtimeName(), ...(snapshotter && { snapshotter }) };
  return { call: async () => version, stream: () => [] as never, close: async () => {}, remote: false };
}

/** System errors read as `EACCES: permission denied, mkdir '/x'`: keep that one line. */
function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0]!;
  return String(err);
}
