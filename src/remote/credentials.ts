/**
 * Credentials the way docker keeps them: a `config.json` whose `auths` map a registry to
 * `auth` (base64 `user:password`), `username`/`password`, or an `identitytoken` (an OAuth
 * refresh token, sent only to the token service). Read from `--creds-file`, else
 * `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; none found means anonymous.
 * Credential helpers (`credsStore`, `credHelpers`) are not run.
 *
 * Errors name the file, never its content: a JSON parser's message quotes the text it
 * choked on, which may be a password.
 *
 *     const creds = dockerCredentials({ credsFile: "/run/secrets/registry.json" });
 *     creds("127.0.0.1:5000"); // { username: "ci", password: "…" } or undefined
 */
import { Buffer } from "node:buffer";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import process from "node:process";
import { usage } from "../core/errors.ts";

export type Credential =
  | { username: string; password: string }
  | { username?: string; identityToken: string };

/** The credential for a registry host (`HOST[:PORT]`), if any. */
export type Credentials = (host: string) => Credential | undefined;

export const anonymous: Credentials = () => undefined;

/** Docker Hub is written several ways in `auths`. */
const HUB = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** `https://host:port/v1/` and friends as `host:port`. */
export function authKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, "").split("/")[0]!.toLowerCase();
  return HUB.has(host) ? "docker.io" : host;
}

function entry(value: unknown): Credential | undefined {
  if (!value || typeof value !== "object") return undefined;
  const v = value as { auth?: unknown; username?: unknown; password?: unknown; identitytoken?: unknown };
  let username = typeof v.username === "string" ? v.username : undefined;
  let password = typeof v.password === "string" ? v.password : undefined;
  if (typeof v.auth === "string" && v.auth) {
    const text = Buffer.from(v.auth, "base64").toString("utf8");
    const colon = text.indexOf(":");
    if (colon > 0) {
      username = text.slice(0, colon);
      password = text.slice(colon + 1);
    }
  }
  if (typeof v.identitytoken === "string" && v.identitytoken) return { username, identityToken: v.identitytoken };
  if (username !== undefined && password !== undefined) return { username, password };
  return undefined;
}

/** The credentials in one config.json-shaped file. */
export function credentialsFile(path: string): Credentials {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    const why = (err as { code?: string }).code ?? "not valid JSON";
    throw usage(`cannot read credentials from ${path}: ${why}`);
  }
  const auths = (doc as { auths?: unknown })?.auths;
  const table = new Map<string, Credential>();
  if (auths && typeof auths === "object") {
    for (const [key, value] of Object.entries(auths)) {
      const c = entry(value);
      if (c) table.set(authKey(key), c);
    }
  }
  return (host) => table.get(authKey(host));
}

/** `--creds-file` when given, else docker's config.json when there is one, else anonymous. */
export function dockerCredentials(opts: { credsFile?: string; env?: { [k: string]: string | undefined }; home?: string } = {}): Credentials {
  if (opts.credsFile) return credentialsFile(opts.credsFile);
  const env = opts.env ?? process.env;
  const dir = env.DOCKER_CONFIG || `${opts.home ?? env.HOME ?? homedir()}/.docker`;
  const path = `${dir}/config.json`;
  return existsSync(path) ? credentialsFile(path) : anonymous;
}

/** Every form of a credential that must never be printed. */
export function secretsOf(c: Credential | undefined): string[] {
  if (!c) return [];
  if ("identityToken" in c) return [c.identityToken];
  const basic = Buffer.from(`${c.username}:${c.password}`).toString("base64");
  return [c.password, basic, encodeURIComponent(c.password)];
}
