/**
 * The CLI: parse, pick how to reach the store (in this process, or a running
 * `strata serve`), run one command, print, exit with SPEC §4's code. Mistakes give one
 * line on stderr, never a stack trace.
 */
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import pkg from "../../package.json" with { type: "json" };
import type { Caller } from "../api/invoke.ts";
import type { OperationName, OutputOf } from "../api/operations.ts";
import { codeOf, exitCodes, failed, StrataError, systemError, usage } from "../core/errors.ts";
import { errorBody } from "../api/wire.ts";
import { runtimeName } from "../runtime/which.ts";
import { parseArgs, type Parsed } from "./args.ts";
import type { Output } from "./commands.ts";
import { table } from "./table.ts";
import { stderr, stdout, stdoutJson } from "./io.ts";

export async function runCli(argv: string[]): Promise<number> {
  if (argv[0] === "__run") return runForDaemon(argv[1]!, argv[2]!);
  // The completion scripts' helper, after any global flags (a wrapper may give --root).
  const asked = argv.indexOf("__complete");
  if (asked >= 0 && argv.slice(0, asked).every((w, i, a) => w.startsWith("--") || a[i - 1]?.startsWith("--"))) {
    return complete(argv.slice(asked + 1), argv.slice(0, asked));
  }
  let json = argv.includes("--json");
  let caller: Caller | undefined;
  const print = (o: Output) => {
    if (json) return stdoutJson(o.json);
    const text = typeof o.text === "function" ? o.text() : o.text;
    if (text !== "") stdout(text + "\n");
  };
  try {
    const p = parseArgs(argv, table);
    json = p.globals.json === true;
    if (p.globals.help) p.input = { command: p.command === "help" ? [] : p.command.split(" ") };
    const command = p.globals.help ? "help" : p.command;
    // A daemon and its children take it as the default for new roots.
    if (typeof p.globals.snapshotter === "string") process.env.STRATA_SNAPSHOTTER = p.globals.snapshotter;
    if (command === "serve") return await serveCommand(p);
    const out = await table[command]!.run(async () => (caller ??= await connect(p)), p, print);
    if (out) print(out);
    return 0;
  } catch (err) {
    const { code, message } = asOurs(err);
    stderr(json ? JSON.stringify(errorBody(code, message)) + "\n" : `strata: ${message}\n`);
    if (!(err instanceof StrataError) && process.env.STRATA_DEBUG) console.error(err);
    return exitCodes[code];
  } finally {
    await caller?.close();
  }
}

/**
 * For the completion scripts: the candidates for the last of `words`, one a line. Never
 * an error: a shell gets nothing rather than a message in the middle of a command line.
 */
async function complete(words: string[], globals: string[]): Promise<number> {
  let caller: Caller | undefined;
  try {
    const { candidates, recordsOf } = await import("./complete.ts");
    const all = [...globals, ...words.slice(0, -1)];
    const flag = (name: string) => {
      const i = all.lastIndexOf(`--${name}`);
      return i >= 0 ? all[i + 1] : undefined;
    };
    const p: Parsed = { command: "", globals: { root: flag("root"), addr: flag("addr"), "token-file": flag("token-file") }, input: {} };
    const found = await candidates(words, table, async () => recordsOf((caller ??= await connect(p))));
    if (found.length) stdout(found.join("\n") + "\n");
  } catch {
    // nothing to offer
  } finally {
    await caller?.close().catch(() => {});
  }
  return 0;
}

const rootOf = async (p: Parsed) => {
  if (typeof p.globals.root === "string") return p.globals.root;
  const { defaultRoot } = await import("../api/root.ts");
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
    const { probeDaemon } = await import("../api/daemon-probe.ts");
    const viaSocket = runtime.fetchVia(socket);
    // Without an answer the root is opened directly instead, as many processes may.
    if ((await probeDaemon(viaSocket)) === "answers") return remote({ base: "http://localhost", unix: socket }, viaSocket);
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
  const [{ loadRuntime }, { serve }, { validate }, { serveInput }] = await Promise.all([
    import("../runtime/load.ts"), import("../server/daemon.ts"), import("../api/validate.ts"), import("../api/schemas.ts"),
  ]);
  const { listen = [], config } = validate(serveInput, p.input);
  return serve(await rootOf(p), await loadRuntime(), { listen, config });
}

/**
 * The daemon's child for long operations (server/offload.ts): raw input as JSON on
 * stdin, results as NDJSON on stdout, an error as a line of its own (api/wire.ts).
 */
async function runForDaemon(root: string, name: string): Promise<number> {
  const [{ loadRuntime }, { openRoot }, { check, run }, { operations }, { errorBody, ndjsonLine }] = await Promise.all([
    import("../runtime/load.ts"), import("../api/open.ts"), import("../api/invoke.ts"), import("../api/operations.ts"),
    import("../api/wire.ts"),
  ]);
  let input = "";
  for await (const chunk of process.stdin) input += chunk.toString();
  const svc = await openRoot(root, await loadRuntime(), { scan: false });
  try {
    if (!(name in operations)) throw usage(`no operation ${name}`);
    const op = name as keyof typeof operations;
    const result: unknown = run(svc, op, check(op, JSON.parse(input || "{}")));
    if (result && typeof result === "object" && Symbol.asyncIterator in result) {
      for await (const item of result as AsyncIterable<unknown>) stdout(ndjsonLine(item));
    } else stdout(ndjsonLine(await result));
    return 0;
  } catch (err) {
    stdout(ndjsonLine(errorBody(codeOf(err), (err as Error).message ?? String(err))));
    return 0;
  } finally {
    await svc.close();
  }
}

/** `version` needs no root: a caller that knows that one answer; with --json, the root's snapshotter once it has one. */
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
  const call = async <N extends OperationName>(name: N): Promise<OutputOf<N>> => {
    if (name !== "version") throw usage(`${name} needs a root`);
    return version as OutputOf<N>; // the version operation's own output shape
  };
  return { call, stream: () => [] as never, close: async () => {}, remote: false };
}

/**
 * The last resort for an error no edge gave a code: one line, and a system error's
 * `ENOENT: no such file or directory, open '/x'` read as `open '/x': does not exist`,
 * with its code (a full disk is still exit 9).
 */
function asOurs(err: unknown): StrataError {
  if (err instanceof StrataError) return err;
  const message = err instanceof Error ? err.message.split("\n")[0]! : String(err);
  const m = message.match(/^E[A-Z]+: [^,]*, (.*)$/);
  return m ? systemError(err, m[1]!) : failed(message);
}
