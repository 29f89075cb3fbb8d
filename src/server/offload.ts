/**
 * Long operations (prune, gc, check) run in a child strata process, so the daemon's
 * event loop keeps answering while thousands of records go. The child opens the root
 * directly, as any CLI beside the daemon may, and streams its results back as NDJSON.
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { type ErrorCode, exitCodes, StrataError } from "../core/errors.ts";
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
  let buf = "";
  try {
    for await (const chunk of child.stdout) {
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const item = JSON.parse(line);
        if (item && typeof item === "object" && "error" in item && Object.keys(item).length === 1) {
          const e = item.error as { code: string; message: string };
          throw new StrataError(e.code in exitCodes ? e.code as ErrorCode : "error", e.message);
        }
        yield item;
      }
    }
    const code = await exited;
    if (code !== 0) throw new StrataError("error", `${name} stopped with exit code ${code}`);
  } finally {
    if (child.exitCode === null) child.kill("SIGTERM");
  }
}
