/**
 * Issues 6 and 16: wrk (1 thread, 32 connections) on 127.0.0.1 against
 * `GET /v1/records/{id}` of a running `strata serve`: a committed record ≥ 15,000
 * requests/s with p99 ≤ 20 ms, idle and while a prune of 10,000 records runs; a held
 * mutable record of a few thousand files (its size changes) within 3× of that.
 */
import { rmSync } from "node:fs";
import { startDaemon } from "../helpers/daemon.ts";
import { cliCommand } from "../helpers/env.ts";
import { scratch } from "./measure.ts";
import { seed } from "./seed.ts";
import { makeTree } from "./tree.ts";

interface Wrk {
  rps: number;
  p99ms: number;
  errors: number;
}

function parseWrk(out: string): Wrk {
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? 0);
  const m = out.match(/99%\s+([\d.]+)(us|ms|s)/);
  const p99ms = m ? Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1) : Infinity;
  const errors = Number(out.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  return { rps, p99ms, errors };
}

function wrk(url: string, token: string, seconds: number) {
  return Bun.spawn(["wrk", "-t1", "-c32", `-d${seconds}s`, "--latency", "-H", `Authorization: Bearer ${token}`, url], { stdout: "pipe" });
}

function line(name: string, w: Wrk): boolean {
  const pass = w.rps >= 15_000 && w.p99ms <= 20 && w.errors === 0;
  console.log(`${name}: ${Math.round(w.rps)} requests/s, p99 ${w.p99ms.toFixed(2)} ms, ${w.errors} errors (target >= 15000/s, p99 <= 20 ms) ${pass ? "ok" : "MISSED"}`);
  return pass;
}

export async function benchHttp(): Promise<boolean[]> {
  if (Bun.spawnSync(["which", "wrk"]).exitCode !== 0) {
    console.log("http: wrk missing (apt-get install wrk)");
    return [false];
  }
  const root = scratch();
  const d = await startDaemon(root, { gc: { enabled: false } });
  try {
    const made = await (await d.unix("/v1/snapshots", { method: "POST", body: "{}" })).json();
    // Held, so the prune below leaves it: every request must find it.
    const rec = await (await d.unix(`/v1/records/${made.id}/commit`, { method: "POST", body: JSON.stringify({ hold: "1h" }) })).json();
    const url = `${d.url}/v1/records/${rec.id}`;
    const committed = parseWrk(await new Response(wrk(url, d.token, 5).stdout).text());
    const results = [line("GET /v1/records/{id}", committed)];

    const mutable = await (await d.unix("/v1/snapshots", { method: "POST", body: JSON.stringify({ hold: "1h" }) })).json();
    makeTree(mutable.path, { files: 3000, bytes: 30e6 });
    const m = parseWrk(await new Response(wrk(`${d.url}/v1/records/${mutable.id}`, d.token, 5).stdout).text());
    const ratio = committed.rps / Math.max(m.rps, 1);
    const within = ratio <= 3 && m.errors === 0;
    console.log(
      `GET /v1/records/{id} of a mutable record (3,000 files): ${Math.round(m.rps)} requests/s, p99 ${m.p99ms.toFixed(2)} ms; ` +
        `committed/mutable = ${ratio.toFixed(2)}x (target <= 3x) ${within ? "ok" : "MISSED"}`,
    );
    results.push(within);

    await seed(root, 10_000, { chainEvery: 4 });
    Bun.spawnSync([...cliCommand(), "--root", root, "du"]); // sizes cached
    const load = wrk(url, d.token, 4);
    await Bun.sleep(300);
    const start = performance.now();
    const pruned = Bun.spawnSync([...cliCommand(), "--root", root, "--json", "prune", "--all"]);
    const seconds = (performance.now() - start) / 1000;
    const w = parseWrk(await new Response(load.stdout).text());
    const removed = pruned.stdout.toString().trim().split("\n").length - 1;
    console.log(`  (the prune through the daemon removed ${removed} records in ${seconds.toFixed(2)} s while wrk ran)`);
    results.push(line("GET /v1/records/{id} during prune", w));
    return results;
  } finally {
    await d.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
