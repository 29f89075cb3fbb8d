/**
 * `strata serve`: the service on `ROOT/strata.sock` (mode 0600) and on TCP when asked,
 * automatic GC, and a clean exit on SIGTERM/SIGINT: listeners stop, in-flight requests
 * finish, GC finishes its batch, the socket file goes.
 */
import { chmodSync, existsSync, rmSync } from "node:fs";
import process from "node:process";
import { probeDaemon } from "../api/daemon-probe.ts";
import { openRoot } from "../api/open.ts";
import { usage } from "../core/errors.ts";
import type { Listener, Runtime } from "../runtime/runtime.ts";
import { ensureToken } from "./auth.ts";
import { defaultPolicies, readConfig } from "./config.ts";
import { makeApp } from "./app.ts";
import { gcScheduler } from "./gc.ts";
import { jsonLog } from "./log.ts";
import { Metrics } from "./metrics.ts";
import { offload } from "./offload.ts";
import { statusServer } from "./status/index.ts";
import type { OperationName } from "../api/operations.ts";

export function parseListen(addr: string): { hostname: string; port: number } {
  const m = addr.match(/^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw usage(`invalid listen address "${addr}" (use HOST:PORT)`);
  return { hostname: m[1] ?? (m[2] || "127.0.0.1"), port };
}

export async function serve(root: string, runtime: Runtime, opts: { listen: string[]; config?: string }): Promise<number> {
  const config = readConfig(opts.config);
  const tcp = opts.listen.map(parseListen);
  const socket = `${root}/strata.sock`;
  if (existsSync(socket)) {
    // A socket left by a daemon that died is taken over; a silent daemon keeps its own.
    const probe = await probeDaemon(runtime.fetchVia(socket));
    if (probe === "answers") throw usage(`another strata serve is running on ${socket}`);
    if (probe === "silent") throw usage(`another strata serve holds ${socket} but does not answer (stopped?): resume or stop it first`);
    rmSync(socket, { force: true });
  }
  const log = jsonLog;
  const metrics = new Metrics();
  const svc = await openRoot(root, runtime, { daemon: true });
  const token = ensureToken(root);

  const policies = config.gcPolicies ?? defaultPolicies(svc.filesystem().size);
  const run = (name: OperationName, raw: unknown) => offload(root, name, raw);
  const status = statusServer({ svc, token, policies, gcEnabled: config.gc?.enabled !== false, log });
  const gc = gcScheduler(run, config.gc?.enabled === false ? [] : policies, {
    log, metrics, intervalMs: config.gc?.interval, minGapMs: config.gc?.minGap, watch: status.gc,
  });
  const app = makeApp({
    svc, token, metrics, log, offload: run, status,
    changed: () => {
      gc.request();
      status.changed();
    },
    sendFile: runtime.sendFile,
    gauges: () => svc.gauges(),
  });

  // Signals are caught before the socket exists: a stop right after start is still clean.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log("info", "stopping", { signal });
      resolve();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  const listeners: Listener[] = [runtime.listen({ unix: socket }, app.fetch)];
  chmodSync(socket, 0o600);
  for (const at of tcp) listeners.push(runtime.listen(at, app.fetch));
  log("info", "listening", { root, addresses: listeners.map((l) => l.address), runtime: `${runtime.name} ${runtime.version}` });
  if (config.gc?.enabled !== false) void gc.runNow();
  // Holds of CLI processes that died end here too, not only when some CLI starts.
  const reaper = setInterval(() => svc.reap().catch((err) => log("error", "reaping holds failed", { error: String(err) })), 2000);

  await stopped;
  clearInterval(reaper);
  await status.stop(); // ends the status page's event streams, which listeners would wait for
  await Promise.all(listeners.map((l) => l.stop()));
  await gc.stop();
  rmSync(socket, { force: true });
  await svc.close();
  log("info", "stopped", {});
  return 0;
}
