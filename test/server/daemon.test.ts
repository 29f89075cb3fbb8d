/** The daemon's life: automatic GC, its clients' holds, and a clean stop. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { startDaemon } from "../helpers/daemon.ts";
import { cleanup, cli, ok, open, tempDir } from "../helpers/env.ts";
import { eventually } from "../helpers/status.ts";

let root: string;
beforeEach(() => (root = tempDir()));
afterEach(() => {
  cleanup(root);
  cleanup(`${root}.config.json`);
});

const post = (d: { unix: (p: string, i?: RequestInit) => Promise<Response> }, path: string, body: unknown = {}) =>
  d.unix(path, { method: "POST", body: JSON.stringify(body) }).then((r) => r.json());

test("SIGTERM and SIGINT stop the daemon cleanly and remove the socket", async () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const d = await startDaemon(root, { gc: { enabled: false } });
    expect(existsSync(d.socket)).toBe(true);
    expect(await d.stop(signal)).toBe(0);
    expect(existsSync(d.socket)).toBe(false);
    expect(d.logs.some((l) => l.includes('"stopped"'))).toBe(true);
  }
  // Without a daemon, the CLI opens the root itself.
  expect(ok(root, "du").records).toEqual([]);
});

test("holds the daemon took for its clients end when the daemon dies", async () => {
  const d = await startDaemon(root, { gc: { enabled: false } });
  const made = await post(d, "/v1/snapshots");
  expect(cli(root, "path", made.id).code).toBe(4); // through the daemon: held
  await d.stop("SIGKILL");
  // The socket is stale now; the CLI notices and opens the root itself.
  const info = ok(root, "info", made.id);
  expect(info.inUse).toBe(false);
  expect(cli(root, "path", made.id).code).toBe(0);
  // A new daemon replaces the stale socket.
  const again = await startDaemon(root, { gc: { enabled: false } });
  expect((await again.unix("/healthz")).status).toBe(200);
  await again.stop();
});

test("what other processes change is seen at once, though the daemon caches records", async () => {
  const d = await startDaemon(root, { gc: { enabled: false } });
  try {
    const made = await post(d, "/v1/snapshots");
    const c = await post(d, `/v1/records/${made.id}/commit`);
    const get = async () => (await d.unix(`/v1/records/${c.id}`)).json();
    expect((await get()).inUse).toBe(false);
    expect((await get()).inUse).toBe(false);
    // A direct process takes a child: the parent is in use.
    const svc = await open(root);
    const child = await svc.create({ parent: c.id });
    expect((await get()).inUse).toBe(true);
    await svc.release({ id: child.id });
    expect((await get()).inUse).toBe(false);
    // A process that holds it and dies: the daemon's reaper ends the hold.
    const holder = Bun.spawn([process.execPath, `${import.meta.dir}/../helpers/hold.ts`, root, c.id], { stdout: "pipe" });
    await holder.stdout.getReader().read();
    expect((await get()).inUse).toBe(true);
    holder.kill("SIGKILL");
    await holder.exited;
    // The reaper runs every 2 s; a loaded machine may be late with it.
    expect(await eventually(async () => ((await get()).inUse ? undefined : false))).toBe(false);
    await svc.close();
  } finally {
    await d.stop();
  }
});

test("a hold with an expiry given through the API ends with it", async () => {
  const d = await startDaemon(root, { gc: { enabled: false } });
  try {
    const inUse = async (id: string) => (await (await d.unix(`/v1/records/${id}`)).json()).inUse;
    // Held, then not once the hold's time is up. A try this process stalled through (the
    // hold already over at the first look) proves nothing: made again with a longer hold.
    for (const seconds of [3, 10, 30]) {
      const started = Date.now();
      const made = await post(d, "/v1/snapshots", { hold: `${seconds}s` });
      const answered = Date.now(); // the hold's time started before the answer came
      const held = await inUse(made.id);
      if (!held && Date.now() - started >= seconds * 1000) continue;
      expect(held).toBe(true);
      await Bun.sleep(answered + seconds * 1000 + 100 - Date.now());
      expect(await inUse(made.id)).toBe(false);
      return;
    }
    throw new Error("every try stalled past its hold");
  } finally {
    await d.stop();
  }
});

test("automatic GC runs its policies at start and after writes, and logs what it removed", async () => {
  // Two unheld records before the daemon starts: the start-up run takes them.
  const svc = await open(root);
  const early: string[] = [];
  for (let i = 0; i < 2; i++) early.push((await svc.commit({ id: (await svc.create({ description: "early" })).id })).id);
  const kept = await svc.commit({ id: (await svc.create({ description: "keep me" })).id });
  await svc.close();

  const d = await startDaemon(root, {
    gc: { minGap: "200ms", policy: [{ filter: ["description!=keep me"], all: true }] },
  });
  try {
    const removed = async () => d.logs.filter((l) => l.includes('"gc removed record"')).map((l) => JSON.parse(l).id);
    for (let i = 0; i < 3000 && (await removed()).length < 2; i++) await Bun.sleep(20);
    expect((await removed()).sort()).toEqual(early.sort());

    // A write asks for a run; it comes within the minimum gap.
    const made = await post(d, "/v1/snapshots", { description: "later" });
    await post(d, `/v1/records/${made.id}/commit`);
    let later: string[] = [];
    // Each run is a child process now (offload): allow for a slow start under load.
    for (let i = 0; i < 3000; i++) {
      later = (await removed()).filter((id) => !early.includes(id));
      if (later.length) break;
      await Bun.sleep(20);
    }
    expect(later).toHaveLength(1);
    expect((await (await d.unix(`/v1/records/${kept.id}`)).json()).id).toBe(kept.id);
    const metrics = await (await d.unix("/metrics")).text();
    expect(Number(metrics.match(/^strata_gc_runs_total (\d+)$/m)![1])).toBeGreaterThanOrEqual(2);
    expect(Number(metrics.match(/^strata_prune_records_total (\d+)$/m)![1])).toBe(3);
  } finally {
    await d.stop();
  }
});

test("a bad config file is a usage error", async () => {
  await Bun.write(`${root}.config.json`, JSON.stringify({ gc: { policy: [{ keepDuration: "forever" }] } }));
  const r = cli(root, "serve", "--config", `${root}.config.json`);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^strata: .*keepDuration.*invalid duration/);
  const toml = `${root}.config.toml`;
  await Bun.write(toml, '[gc]\nenabled = false\n[[gc.policy]]\nkeepDuration = "48h"\nmaxUsedSpace = "512MB"\n');
  const d = Bun.spawn([...(process.env.STRATA_BIN ? [process.env.STRATA_BIN] : [process.execPath, `${import.meta.dir}/../../src/main.ts`]), "--root", root, "serve", "--config", toml], { stderr: "pipe" });
  // Up to 10 s: a daemon starts in ~50 ms, but a loaded machine is slow to create files.
  for (let i = 0; i < 1000 && !existsSync(`${root}/strata.sock`); i++) await Bun.sleep(10);
  expect(existsSync(`${root}/strata.sock`)).toBe(true);
  d.kill("SIGTERM");
  expect(await d.exited).toBe(0);
  cleanup(toml);
  cleanup(`${root}.config.json`);
});
