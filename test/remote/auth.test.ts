/**
 * Credentials against real registries: htpasswd Basic auth and distribution's token
 * auth with a JWT issuer on loopback. Whatever happens, no credential is in what is
 * thrown.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { exitCodes } from "../../src/core/errors.ts";
import { createRegistry } from "../../src/remote/client.ts";
import { type Credential, dockerCredentials } from "../../src/remote/credentials.ts";
import { blob, chunks, collect, startRegistry, type TestRegistry } from "../helpers/registry.ts";

const USER = "ci";
const PASSWORD = "pa55-Wörd:with-colon";
const IDENTITY = "refresh-7d1f0c2e-9a51-4d8e";

const as = (c: Credential | undefined) => createRegistry({ credentials: () => c, retry: { sleep: async () => {} } });

const configDirs: string[] = [];
afterAll(() => {
  for (const d of configDirs) rmSync(d, { recursive: true, force: true });
});

/** A config.json in its own DOCKER_CONFIG directory. */
function dockerConfig(auths: object): { [k: string]: string } {
  const dir = mkdtempSync(`${tmpdir()}/strata-docker-config-`);
  configDirs.push(dir);
  writeFileSync(`${dir}/config.json`, JSON.stringify({ auths }));
  return { DOCKER_CONFIG: dir };
}

/** The error, checked for every trace of the credentials in every form it could be shown. */
async function refusal(p: Promise<unknown>): Promise<Error & { code: string }> {
  const err = await p.then(() => undefined, (e) => e);
  if (!err) throw new Error("expected a refusal");
  const shown = [err.message, String(err), err.stack ?? "", Bun.inspect(err), JSON.stringify(err)].join("\n");
  for (const secret of [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString("base64"), encodeURIComponent(PASSWORD), IDENTITY, "wrong-" + PASSWORD]) {
    expect(shown).not.toContain(secret);
  }
  return err;
}

async function roundTrip(registry: ReturnType<typeof as>, repo: string) {
  const b = blob(5000);
  expect(await registry.pushBlob(repo, b.descriptor, () => chunks(b.bytes))).toBe("pushed");
  expect(await registry.hasBlob(repo, b.descriptor.digest)).toBe(true);
  expect(await collect(await registry.fetchBlob(repo, b.descriptor))).toEqual(b.bytes);
}

describe("Basic auth (htpasswd)", () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ mode: "basic", users: { [USER]: PASSWORD } });
  });
  afterAll(() => reg.stop());

  test("the right password works, from config.json's base64 auth", async () => {
    const env = dockerConfig({ [`https://${reg.host}`]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString("base64") } });
    await roundTrip(createRegistry({ credentials: dockerCredentials({ env }) }), `${reg.host}/basic/app`);
  });

  test("a wrong password is remote_refused (exit 10) with the status and code, and no password", async () => {
    const err = await refusal(as({ username: USER, password: "wrong-" + PASSWORD }).hasBlob(`${reg.host}/basic/app`, blob(1).descriptor.digest));
    expect(err.code).toBe("remote_refused");
    expect(exitCodes.remote_refused).toBe(10);
    expect(err.message).toContain("HTTP 401 UNAUTHORIZED");
  });

  test("no credentials at all is refused the same way", async () => {
    const err = await refusal(as(undefined).resolve(`${reg.host}/basic/app:v1`));
    expect(err.code).toBe("remote_refused");
    expect(err.message).toContain("HTTP 401 UNAUTHORIZED");
  });
});

describe("token auth", () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ mode: "token", users: { [USER]: PASSWORD }, identityTokens: { [IDENTITY]: USER } });
  });
  afterAll(() => reg.stop());

  test("a password buys a token per scope, kept until it expires", async () => {
    let now = Date.parse("2026-11-30T12:00:00Z");
    reg.issuer!.expiresIn = 120;
    const registry = createRegistry({ credentials: () => ({ username: USER, password: PASSWORD }), now: () => now });
    const repo = `${reg.host}/token/app`;
    const before = reg.issuer!.hits;
    await roundTrip(registry, repo);
    // One token to pull (the HEAD), one to push; the push token serves later pulls too.
    expect(reg.issuer!.hits - before).toBe(2);
    for (let i = 0; i < 3; i++) await registry.hasBlob(repo, blob(1).descriptor.digest);
    expect(reg.issuer!.hits - before).toBe(2);
    now += 121_000;
    await registry.hasBlob(repo, blob(1).descriptor.digest);
    expect(reg.issuer!.hits - before).toBe(3);
    expect(reg.issuer!.methods.at(-1)).toBe("GET");
  });

  test("without expires_in a token lives 60 s", async () => {
    let now = Date.parse("2026-11-30T12:00:00Z");
    reg.issuer!.expiresIn = undefined;
    const registry = createRegistry({ credentials: () => ({ username: USER, password: PASSWORD }), now: () => now });
    const repo = `${reg.host}/token/short`;
    const before = reg.issuer!.hits;
    await registry.hasBlob(repo, blob(1).descriptor.digest);
    now += 30_000;
    await registry.hasBlob(repo, blob(1).descriptor.digest);
    expect(reg.issuer!.hits - before).toBe(1);
    now += 31_000;
    await registry.hasBlob(repo, blob(1).descriptor.digest);
    expect(reg.issuer!.hits - before).toBe(2);
  });

  test("a 401 to a streamed PUT starts the upload over, with the token the 401 brought", async () => {
    const puts: number[] = [];
    let stripped = false;
    // The first upload PUT goes without its Authorization, so the registry refuses it.
    const fetcher = ((input: string | URL, init?: RequestInit) => {
      if (init?.method !== "PUT") return fetch(input, init);
      const headers = new Headers(init.headers);
      if (!stripped) (stripped = true, headers.delete("authorization"));
      return fetch(input, { ...init, headers }).then((res) => (puts.push(res.status), res));
    }) as typeof fetch;
    const registry = createRegistry({ fetch: fetcher, credentials: () => ({ username: USER, password: PASSWORD }), retry: { sleep: async () => {} } });
    const repo = `${reg.host}/token/restart`;
    const b = blob(50_000);
    let opened = 0;
    expect(await registry.pushBlob(repo, b.descriptor, () => (opened++, chunks(b.bytes)))).toBe("pushed");
    // A stream is not sent twice: the blob is read again from its first byte.
    expect(puts).toEqual([401, 201]);
    expect(opened).toBe(2);
    expect(await collect(await registry.fetchBlob(repo, b.descriptor))).toEqual(b.bytes);
  });

  test("an identity token from config.json is traded with grant_type=refresh_token", async () => {
    reg.issuer!.expiresIn = 300;
    const env = dockerConfig({ [reg.host]: { auth: Buffer.from("<token>:").toString("base64"), identitytoken: IDENTITY } });
    const before = reg.issuer!.methods.length;
    await roundTrip(createRegistry({ credentials: dockerCredentials({ env }) }), `${reg.host}/token/identity`);
    expect(reg.issuer!.methods.slice(before)).toEqual(["POST", "POST"]);
  });

  test("a wrong password is refused by the token service: exit 10, status and code, no password", async () => {
    const err = await refusal(as({ username: USER, password: "wrong-" + PASSWORD }).resolve(`${reg.host}/token/app:v1`));
    expect(err.code).toBe("remote_refused");
    expect(err.message).toContain("HTTP 401 UNAUTHORIZED");
    expect(err.message).toContain("token");
  });

  test("a refused identity token is no different", async () => {
    const err = await refusal(as({ identityToken: IDENTITY + "-revoked" }).hasBlob(`${reg.host}/token/app`, blob(1).descriptor.digest));
    expect(err.code).toBe("remote_refused");
    expect(err.message).toContain("HTTP 401 UNAUTHORIZED");
  });
});
