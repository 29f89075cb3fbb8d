/**
 * Long operations (prune, gc, check) run in a child strata process, so the daemon's
 * event loop keeps answering while thousands of records go. The child opens the root
 * directly, as any CLI beside the daemon may, and streams its results back as NDJSON.
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { failed } from "../core/errors.ts";
import { ndjsonItems } from "../api/wire.ts";
import type { OperationName } from "../api/operations.ts";

/** How to start this same program again: the binary, or the runtime and the script. */
function self(): string[] {
  const script = process.argv[1];
  const compiled = !script || script.startsWith("/$bunfs/") || script === process.execPath;
  if (compiled) return [process.execPath];
  const deno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
  return deno ? [process.execPath, "run", "-A", script] : [process.execPath, script];
}

export async function* offload(root: string, name: OperationName, raw: unknown): AsyncGenerator<unknown> {
  const [cmd, ...args] = self();
  const child = spawn(cmd!, [...args, "__run", root, name], { stdio: ["pipe", "pipe", "inherit"] });
  child.stdin.end(JSON.stringify(raw));
  const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  try {
    // The child speaks NDJSON, an error as a line of its own (see api/wire.ts).
    yield* ndjsonItems(child.stdout as AsyncIterable<Uint8Array>);
    const code = await exited;
    if (code !== 0) throw failed(`${name} stopped with exit code ${code}`);
  } finally {
    if (child.exitCode === null) child.kill("SIGTERM");
  }
}
