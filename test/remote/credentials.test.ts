/** Credentials from docker's config.json shapes, and files that say nothing of what is in them. */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { authKey, credentialsFile, dockerCredentials } from "../../src/remote/credentials.ts";

const dir = mkdtempSync(`${tmpdir()}/strata-creds-`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString("base64");

function file(name: string, body: string): string {
  writeFileSync(`${dir}/${name}`, body);
  return `${dir}/${name}`;
}

test("auth (base64 user:password, the password may hold colons), username/password, identitytoken", () => {
  const creds = credentialsFile(file("config.json", JSON.stringify({
    auths: {
      "https://reg.example:5000/v1/": { auth: b64("ci:pa:ss") },
      "other.example": { username: "u", password: "p" },
      "tok.example": { auth: b64("<token>:"), identitytoken: "refresh-1" },
      "https://index.docker.io/v1/": { auth: b64("hub:pw") },
      "empty.example": {},
    },
  })));
  expect(creds("reg.example:5000")).toEqual({ username: "ci", password: "pa:ss" });
  expect(creds("REG.example:5000")).toEqual({ username: "ci", password: "pa:ss" });
  expect(creds("reg.example")).toBeUndefined();
  expect(creds("other.example")).toEqual({ username: "u", password: "p" });
  expect(creds("tok.example")).toEqual({ username: "<token>", identityToken: "refresh-1" });
  expect(creds("docker.io")).toEqual({ username: "hub", password: "pw" });
  expect(creds("empty.example")).toBeUndefined();
});

test("--creds-file wins, then $DOCKER_CONFIG/config.json, then ~/.docker/config.json, else anonymous", () => {
  mkdirSync(`${dir}/dc`, { recursive: true });
  mkdirSync(`${dir}/home/.docker`, { recursive: true });
  writeFileSync(`${dir}/dc/config.json`, JSON.stringify({ auths: { h: { auth: b64("from:docker-config") } } }));
  writeFileSync(`${dir}/home/.docker/config.json`, JSON.stringify({ auths: { h: { auth: b64("from:home") } } }));
  const credsFile = file("creds.json", JSON.stringify({ auths: { h: { auth: b64("from:creds-file") } } }));
  expect(dockerCredentials({ credsFile, env: { DOCKER_CONFIG: `${dir}/dc` } })("h")).toEqual({ username: "from", password: "creds-file" });
  expect(dockerCredentials({ env: { DOCKER_CONFIG: `${dir}/dc`, HOME: `${dir}/home` } })("h")).toEqual({ username: "from", password: "docker-config" });
  expect(dockerCredentials({ env: { HOME: `${dir}/home` } })("h")).toEqual({ username: "from", password: "home" });
  expect(dockerCredentials({ env: { HOME: `${dir}/nowhere` } })("h")).toBeUndefined();
});

test("a broken file is a usage error naming the file, never quoting it", () => {
  const path = file("broken.json", '{"auths": {"h": {"auth": "c2VjcmV0LXBhc3N3b3Jk"}} hunter2-in-the-way');
  const err = (() => {
    try {
      credentialsFile(path);
    } catch (e) {
      return e as Error & { code: string };
    }
  })()!;
  expect(err.code).toBe("usage");
  expect(err.message).toBe(`cannot read credentials from ${path}: not valid JSON`);
  expect(() => credentialsFile(`${dir}/absent.json`)).toThrow(`cannot read credentials from ${dir}/absent.json: ENOENT`);
});

test("auths keys compare by host", () => {
  expect(authKey("https://Reg.Example:443/v2/")).toBe("reg.example:443");
  expect(authKey("registry-1.docker.io")).toBe("docker.io");
});
