/**
 * Push and pull against registries that want credentials (htpasswd Basic, a token
 * service) or a private CA, by the CLI: `--creds-file`, `$DOCKER_CONFIG`, `--ca-file`. A
 * wrong password is exit 10 with the registry's status and code, and the password is
 * nowhere in what strata prints.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { cleanup, cli, ok, tempDir } from "../helpers/env.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { cliAsync, okAsync, treeOf } from "../helpers/remote-cli.ts";

const USER = "ci";
const PASSWORD = "s3cret-Pass-4711";
const WRONG = "wrong-Pass-0815";

let basic: TestRegistry;
let token: TestRegistry;
let tls: TestRegistry;
let dir: string;
beforeAll(async () => {
  [basic, token, tls] = await Promise.all([
    startRegistry({ mode: "basic", users: { [USER]: PASSWORD } }),
    startRegistry({ mode: "token", users: { [USER]: PASSWORD } }),
    startRegistry({ mode: "tls" }),
  ]);
});
afterAll(async () => {
  await Promise.all([basic.stop(), token.stop(), tls.stop()]);
});
beforeEach(() => (dir = tempDir()));
afterEach(() => cleanup(dir));

/** A docker config.json for `host` in `at`, returning its path. */
function credsFile(at: string, host: string, password: string): string {
  mkdirSync(at, { recursive: true });
  const auth = Buffer.from(`${USER}:${password}`).toString("base64");
  writeFileSync(`${at}/config.json`, JSON.stringify({ auths: { [host]: { auth } } }));
  return `${at}/config.json`;
}

/** Nothing of the password in any form strata might have printed. */
function secretFree(...outputs: string[]) {
  for (const wrong of [WRONG, PASSWORD]) {
    const forms = [wrong, Buffer.from(`${USER}:${wrong}`).toString("base64"), encodeURIComponent(wrong)];
    for (const text of outputs) for (const f of forms) expect(text).not.toContain(f);
  }
}

/** A committed record with one file, and its tree. */
function record(root: string) {
  const m = ok(root, "new");
  writeFileSync(`${m.path}/secret-free`, "data\n");
  const r = ok(root, "commit", m.id);
  return { id: r.id, tree: treeOf(ok(root, "path", r.id).path) };
}

test("Basic auth: --creds-file and $DOCKER_CONFIG let push and pull in; a wrong password is exit 10 and printed nowhere", () => {
  const a = `${dir}/a`, b = `${dir}/b`;
  const rec = record(a);
  const right = credsFile(`${dir}/right`, basic.host, PASSWORD);
  const wrong = credsFile(`${dir}/wrong`, basic.host, WRONG);
  const target = `${basic.host}/auth/basic:v1`;

  for (const args of [["push", rec.id, target], ["pull", target], ["pull", "--lazy", target]]) {
    for (const json of [[], ["--json"]]) {
      const r = cli(a, ...json, ...args, "--creds-file", wrong);
      expect(r.code).toBe(10);
      expect(r.stderr).toContain("HTTP 401");
      secretFree(r.stdout, r.stderr);
    }
  }
  // Refused before anything was computed: the record has no blob yet.
  expect(ok(a, "info", rec.id).blob ?? null).toBeNull();
  const anonymous = cli(b, "pull", target);
  expect(anonymous.code).toBe(10);
  expect(anonymous.stderr).toContain(`no credentials for ${basic.host}`);

  expect(ok(a, "push", rec.id, target, "--creds-file", right).layers[0].action).toBe("pushed");
  const pulled = ok(b, "pull", target, "--creds-file", right);
  expect(treeOf(ok(b, "path", pulled.id).path)).toEqual(rec.tree);
  expect(ok(b, "du").records.length).toBe(1);

  // A lazy record's first use reaches the registry with docker's own credentials.
  const c = `${dir}/c`;
  const lazy = ok(c, "pull", "--lazy", target, "--creds-file", right);
  const denied = cli(c, "path", lazy.id);
  expect(denied.code).toBe(6);
  expect(denied.stderr).toContain("HTTP 401");
  const env = { ...process.env };
  try {
    process.env.DOCKER_CONFIG = `${dir}/right`;
    expect(treeOf(ok(c, "path", lazy.id).path)).toEqual(rec.tree);
  } finally {
    process.env.DOCKER_CONFIG = env.DOCKER_CONFIG;
    if (env.DOCKER_CONFIG === undefined) delete process.env.DOCKER_CONFIG;
  }
});

test("token auth: push and pull through the token service; a wrong password is exit 10 and printed nowhere", async () => {
  const a = `${dir}/a`, b = `${dir}/b`;
  const rec = record(a);
  const target = `${token.host}/auth/token:v1`;
  const wrong = await cliAsync(a, ["push", rec.id, target, "--creds-file", credsFile(`${dir}/wrong`, token.host, WRONG)]);
  expect(wrong.code).toBe(10);
  expect(wrong.stderr).toContain("HTTP 401 UNAUTHORIZED");
  secretFree(wrong.stdout, wrong.stderr);

  // Credentials from $DOCKER_CONFIG, as docker login leaves them.
  const env = { DOCKER_CONFIG: `${dir}/right` };
  credsFile(env.DOCKER_CONFIG, token.host, PASSWORD);
  expect((await okAsync(a, ["push", rec.id, target], env)).layers[0].action).toBe("pushed");
  const pulled = await okAsync(b, ["pull", target], env);
  expect(treeOf(ok(b, "path", pulled.id).path)).toEqual(rec.tree);
  expect((await okAsync(a, ["push", rec.id, `${token.host}/auth/other:v1`], env)).layers[0].action).toBe("mounted");
});

test("TLS with a private CA: --ca-file trusts it; without, exit 10 naming the flag", () => {
  const a = `${dir}/a`, b = `${dir}/b`;
  const rec = record(a);
  const target = `${tls.host}/auth/tls:v1`;
  const untrusted = cli(a, "push", rec.id, target);
  expect(untrusted.code).toBe(10);
  expect(untrusted.stderr).toContain("--ca-file");
  expect(ok(a, "push", rec.id, target, "--ca-file", tls.caFile!).layers[0].action).toBe("pushed");
  const pulled = ok(b, "pull", target, "--ca-file", tls.caFile!);
  expect(treeOf(ok(b, "path", pulled.id).path)).toEqual(rec.tree);
  expect(cli(b, "pull", target, "--ca-file", `${dir}/absent.pem`).code).toBe(2);
});
