/** `strata serve` for real: a daemon on a socket and on loopback, driven over HTTP and by the CLI. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import { type Operation, operations } from "../../src/api/operations.ts";
import { type Daemon, startDaemon } from "../helpers/daemon.ts";
import { cleanup, cli, open, tempDir } from "../helpers/env.ts";
import { eventually } from "../helpers/status.ts";

let root: string;
let d: Daemon;
beforeAll(async () => {
  root = tempDir();
  d = await startDaemon(root, { gc: { enabled: false } });
});
afterAll(async () => {
  await d.stop();
  cleanup(root);
});

const json = async (r: Response) => ({ status: r.status, body: await r.json() });
const post = (path: string, body?: unknown) =>
  d.unix(path, { method: "POST", headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });

describe("authentication", () => {
  test("/healthz is open on TCP; everything else wants the bearer token", async () => {
    expect((await d.tcp("/healthz", { auth: null })).status).toBe(200);
    const none = await json(await d.tcp("/v1/du", { auth: null }));
    expect(none).toEqual({ status: 401, body: { error: { code: "unauthenticated", message: expect.any(String) } } });
    expect((await d.tcp("/v1/du", { auth: "Bearer wrong" })).status).toBe(401);
    expect((await d.tcp("/v1/du", { auth: `Basic ${d.token}` })).status).toBe(401);
    expect((await d.tcp("/v1/du")).status).toBe(200);
    expect((await d.tcp("/metrics", { auth: null })).status).toBe(401);
  });

  test("the socket needs no token, and it and the token file are mode 0600", async () => {
    expect((await d.unix("/v1/du")).status).toBe(200);
    expect(statSync(d.socket).mode & 0o777).toBe(0o600);
    expect(statSync(`${root}/token`).mode & 0o777).toBe(0o600);
    expect(d.token).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("routes", () => {
  test("a record's life over HTTP: new, path, commit, info, release", async () => {
    const made = await json(await post("/v1/snapshots", { description: "over http" }));
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ mutable: true, parents: [] });
    const id = made.body.id;
    const rw = await json(await d.unix(`/v1/records/${id}/path?rw=true`));
    expect(rw.body.path).toBe(made.body.path);
    expect((await json(await d.unix(`/v1/records/${id}/path`))).status).toBe(409);
    const committed = await json(await post(`/v1/records/${id}/commit`, { key: "http-key" }));
    expect(committed.body).toMatchObject({ mutable: false, description: "over http" });
    const info = await json(await d.tcp(`/v1/records/key:http-key`));
    expect(info.body.id).toBe(committed.body.id);
    expect((await json(await d.unix(`/v1/keys/http-key`))).body).toEqual({ key: "http-key", id: committed.body.id, exact: true });
    expect((await json(await post(`/v1/records/${committed.body.id}/reopen`))).status).toBe(422);
    expect((await json(await post(`/v1/records/${id}/release`))).body).toEqual({ id, deleted: false });
  });

  test("errors carry SPEC §5's statuses and codes", async () => {
    const missing = await json(await d.unix(`/v1/records/${"0".repeat(25)}`));
    expect(missing).toEqual({ status: 404, body: { error: { code: "not_found", message: expect.stringContaining("not found") } } });
    expect((await json(await d.unix("/v1/keys/nope"))).body.error.code).toBe("key_not_found");
    const route = await json(await d.unix("/v1/nowhere"));
    expect(route).toEqual({ status: 404, body: { error: { code: "not_found", message: "no route for GET /v1/nowhere" } } });
    const bad = await json(await d.unix("/v1/records/short"));
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues).toEqual([expect.stringContaining("invalid reference")]);
    const badQuery = await json(await d.unix("/v1/du?verbose=maybe"));
    expect(badQuery.status).toBe(400);
  });

  test("malformed bodies on every POST and PUT route are 400s, never 5xx", async () => {
    const writes = Object.values(operations as { [k: string]: Operation }).filter((o) => (o.method === "POST" || o.method === "PUT") && !o.blobBody);
    expect(writes.length).toBeGreaterThanOrEqual(10);
    const bodies = ["not json", "[]", "null", "42", '"text"', '{"unknownField": 1}', '{"hold": 5, "repair": "yes", "all": "no"}'];
    for (const o of writes) {
      const path = o.path.replace(/:(\w+)/g, "aaaaaaaaaaaaaaaaaaaaaaaaa");
      for (const body of bodies) {
        const r = await d.unix(path, { method: o.method, headers: { "content-type": "application/json" }, body });
        const text = await r.text();
        expect({ route: `${o.method} ${o.path}`, body, status: r.status }).toEqual({ route: `${o.method} ${o.path}`, body, status: 400 });
        expect(JSON.parse(text).error.code).toBe("usage");
      }
    }
  });

  test("import takes a blob body: garbage is an integrity error, bad options a usage error", async () => {
    const garbage = await json(await d.unix("/v1/import", { method: "POST", body: "not a layer at all" }));
    expect(garbage.status).toBe(422);
    expect(garbage.body.error.code).toBe("integrity");
    expect((await json(await d.unix("/v1/import?lazy=maybe", { method: "POST", body: "x" }))).status).toBe(400);
    expect((await json(await d.unix("/v1/import?bogus=1", { method: "POST", body: "x" }))).status).toBe(400);
    expect((await json(await d.unix("/v1/import", { method: "POST" }))).status).toBe(400);
  });

  test("prune answers NDJSON as records go", async () => {
    const svc = await open(`${root}-seed`);
    await svc.close();
    for (let i = 0; i < 30; i++) {
      const m = await json(await post("/v1/snapshots", {}));
      await post(`/v1/records/${m.body.id}/commit`);
    }
    const r = await d.unix("/v1/prune", { method: "POST", body: JSON.stringify({ all: true }) });
    expect(r.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await r.text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(31);
    expect(lines.at(-1)).toEqual({ summary: { records: lines.length - 1, bytes: expect.any(Number) } });
    expect(lines.slice(0, -1).every((l) => typeof l.id === "string")).toBe(true);
    cleanup(`${root}-seed`);
  });

  test("a bad prune request is a 400 before any line is streamed", async () => {
    const r = await post("/v1/prune", { filter: ["colour==red"] });
    expect(r.status).toBe(400);
    expect((await r.json()).error.code).toBe("usage");
  });

  test("/metrics speaks Prometheus and /v1/openapi.json lists every route", async () => {
    const text = await (await d.unix("/metrics")).text();
    expect(text).toMatch(/^# TYPE strata_records gauge$/m);
    expect(text).toMatch(/^strata_requests_total\{method="GET",route="\/v1\/du",status="200"\} \d+$/m);
    expect(text).toMatch(/^strata_request_duration_seconds_count\{/m);
    const spec = await (await d.unix("/v1/openapi.json")).json();
    expect(spec.openapi).toBe("3.1.0");
    for (const o of Object.values(operations as { [k: string]: Operation })) {
      expect(spec.paths[o.path.replace(/:(\w+)/g, "{$1}")][o.method.toLowerCase()]).toBeDefined();
    }
  });
});

describe("the CLI as a client", () => {
  test("uses ROOT/strata.sock when it answers, with the same output as direct mode", async () => {
    const viaSocket = cli(root, "--json", "new", "--description", "cli");
    expect(viaSocket.code).toBe(0);
    const id = viaSocket.json.id;
    // The record was made by the daemon: its hold is the daemon's.
    expect(d.logs.length).toBeGreaterThan(0);
    const direct = tempDir();
    try {
      const cases: string[][] = [
        ["info", "0".repeat(25)], ["info", "key:nope"], ["new", "--hold", "soon"], ["commit", "bad-id"],
        ["key", "get", "nope"], ["lease", "rm", "nope"], ["prune", "--filter", "colour==red"],
      ];
      for (const args of cases) {
        for (const mode of [[], ["--json"]]) {
          const a = cli(root, ...mode, ...args);
          const b = cli(direct, ...mode, ...args);
          expect({ args, mode, code: a.code, stderr: a.stderr, stdout: a.stdout })
            .toEqual({ args, mode, code: b.code, stderr: b.stderr, stdout: b.stdout });
        }
      }
      expect(cli(root, "path", id).code).toBe(4);
      expect(cli(root, "info", id).stdout).toMatch(/^Description:\s+cli$/m);
    } finally {
      cleanup(direct);
    }
  });

  test("a daemon that is stopped (SIGSTOP) is not waited on for ever: the CLI opens the root itself", async () => {
    const other = tempDir();
    const stopped = await startDaemon(other, { gc: { enabled: false } });
    try {
      // The daemon stores a usage sample as it starts: stopped inside that write, it would
      // hold SQLite's write lock and the CLI would rightly say "database is locked".
      await eventually(async () => {
        const { samples } = await (await stopped.unix("/v1/status/samples")).json();
        return samples.length ? true : undefined;
      });
      stopped.proc.kill("SIGSTOP");
      const r = cli(other, "--json", "new", "--description", "direct");
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      stopped.proc.kill("SIGCONT");
      // Made by the CLI itself, so the daemon had no part in it; it sees the record all the same.
      expect((await (await stopped.unix(`/v1/records/${r.json.id}`)).json()).description).toBe("direct");
    } finally {
      stopped.proc.kill("SIGCONT");
      await stopped.stop();
      cleanup(other);
    }
  });

  test("import streams a layer to the daemon as the request body; export and merge work through it", async () => {
    const { gnuTar } = await import("../helpers/tars.ts");
    const src = `${root}-layer`;
    const { mkdirSync, writeFileSync, readFileSync } = await import("node:fs");
    mkdirSync(`${src}/t`, { recursive: true });
    writeFileSync(`${src}/t/f`, "through the socket");
    gnuTar(`${src}/t`, `${src}/t.tgz`);
    const imported = cli(root, "--json", "import", `${src}/t.tgz`);
    expect(imported.code).toBe(0);
    const rec = imported.json;
    expect(rec.blob.digest).toMatch(/^sha256:/);
    const viaStdin = Bun.spawnSync([...cliCommandFor(), "--root", root, "--json", "import", "-"], { stdin: Bun.file(`${src}/t.tgz`) });
    expect(JSON.parse(viaStdin.stdout.toString()).id).toBe(rec.id);
    expect(readFileSync(`${cli(root, "--json", "path", rec.id).json.path}/f`, "utf8")).toBe("through the socket");
    const exported = cli(root, "--json", "export", rec.id, "--compression", "zstd");
    expect(exported.json.layers[0].diffID).toBe(rec.blob.diffID);
    const merged = cli(root, "--json", "merge", rec.id, rec.id);
    expect(merged.json).toMatchObject({ kind: "merge", parents: [rec.id, rec.id] });
    cleanup(src);
  });

  test("--addr with the token reaches TCP; a wrong token is refused", () => {
    const ok = Bun.spawnSync([...cliCommandFor(), "--addr", d.url, "--json", "du"], { env: { ...process.env, STRATA_TOKEN: d.token } });
    expect(ok.exitCode).toBe(0);
    expect(Object.keys(JSON.parse(ok.stdout.toString()))).toEqual(["records", "totals", "snapshotter"]);
    const bad = Bun.spawnSync([...cliCommandFor(), "--addr", d.url, "du"], { env: { ...process.env, STRATA_TOKEN: "nope" } });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr.toString()).toMatch(/^strata: .*token.*\n$/);
    const tokenFile = `${root}.tok`;
    writeFileSync(tokenFile, d.token);
    const viaFile = Bun.spawnSync([...cliCommandFor(), "--addr", d.url, "--token-file", tokenFile, "du"], { env: { ...process.env, STRATA_TOKEN: "" } });
    rmSync(tokenFile);
    expect(viaFile.exitCode).toBe(0);
  });

  test("a process opening the root directly beside the daemon stays correct", async () => {
    const made = await json(await post("/v1/snapshots", {}));
    const svc = await open(root);
    try {
      await expect(svc.path({ ref: made.body.id })).rejects.toMatchObject({ code: "locked" });
      const c = await svc.commit({ id: made.body.id });
      const seen = await json(await d.unix(`/v1/records/${c.id}`));
      expect(seen.body).toMatchObject({ id: c.id, mutable: false });
    } finally {
      await svc.close();
    }
  });
});

function cliCommandFor() {
  return process.env.STRATA_BIN ? [process.env.STRATA_BIN] : [process.execPath, `${import.meta.dir}/../../src/main.ts`];
}

test("a second daemon beside a stopped one says so within seconds and leaves its socket alone", async () => {
  const other = tempDir();
  const stopped = await startDaemon(other, { gc: { enabled: false } });
  try {
    stopped.proc.kill("SIGSTOP");
    const second = Bun.spawn([...cliCommandFor(), "--root", other, "serve"], { stderr: "pipe" });
    // Bounded only to end a hang: without the probe's timeout this waited for ever.
    const ended = await Promise.race([second.exited, Bun.sleep(30_000).then(() => "hung")]);
    if (ended === "hung") second.kill("SIGKILL");
    expect({ ended, stderr: await new Response(second.stderr).text() })
      .toEqual({ ended: 2, stderr: expect.stringContaining("does not answer (stopped?)") });
    stopped.proc.kill("SIGCONT");
    expect((await stopped.unix("/healthz")).status).toBe(200);
  } finally {
    stopped.proc.kill("SIGCONT");
    await stopped.stop();
    cleanup(other);
  }
});

test("socket file and token survive; a second daemon on the same root is refused", async () => {
  const r = Bun.spawnSync([...cliCommandFor(), "--root", root, "serve"]);
  expect(r.exitCode).toBe(2);
  expect(r.stderr.toString()).toContain("another strata serve is running");
  expect(existsSync(d.socket)).toBe(true);
});
