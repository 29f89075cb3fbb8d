/**
 * Answering a registry's `WWW-Authenticate`, per host. `Basic` is answered with the
 * host's user and password. `Bearer realm=…,service=…,scope=…` is docker's token flow:
 * GET the realm with the service and scopes (Basic auth when there is a password,
 * anonymous otherwise), or POST `grant_type=refresh_token` for an identity token; the
 * answer's `token` or `access_token` is kept per scope until its `expires_in` (default
 * 60 s) runs out, so a pull's many requests cost one token request.
 *
 * What the host asked for is learnt from its first answer (the probe of `/v2/`), so
 * later requests carry credentials from the start instead of being refused once each.
 * Credentials go only to the registry host and its token realm, never over plain HTTP to
 * a host that is not allowed it, and never into a message (`secrets` lists what to scrub).
 */
import { Buffer } from "node:buffer";
import { remoteRefused } from "../core/errors.ts";
import { parseChallenges } from "./challenge.ts";
import { type Credential, type Credentials, secretsOf } from "./credentials.ts";
import { describeRequest, reason, refused } from "./refusal.ts";
import { isTransientStatus, type RetryPolicy, retryAfterMs, retrying, Transient } from "./retry.ts";

export interface AuthDeps {
  fetch: typeof fetch;
  credentials: Credentials;
  now(): number;
  retry: RetryPolicy;
  /** Whether plain HTTP is allowed to this host (loopback or named insecure). */
  plainAllowed(host: string): boolean;
}

/** `repository:NAME:pull` and `repository:NAME:pull,push`, the scopes a request needs. */
export const pullScope = (name: string) => `repository:${name}:pull`;
export const pushScope = (name: string) => `repository:${name}:pull,push`;

/** Scopes as single grants, `type:name:action`, so a push token serves a pull too. */
function grants(scopes: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const scope of scopes) {
    const first = scope.indexOf(":");
    const last = scope.lastIndexOf(":");
    if (first < 0 || last === first) continue;
    for (const action of scope.slice(last + 1).split(",")) if (action) out.add(`${scope.slice(0, last)}:${action}`);
  }
  return out;
}

interface Token {
  value: string;
  grants: Set<string>;
  expiresAt: number;
}

interface HostAuth {
  scheme: "basic" | "bearer" | "none";
  realm?: string;
  service?: string;
  tokens: Token[];
}

/** Token lifetime when the service does not say; docker's token spec fixes it at 60 s. */
const DEFAULT_EXPIRES_S = 60;
/** A token this close to its end is renewed first, so it does not expire in flight. */
const MARGIN_MS = 5_000;

const basicHeader = (c: { username: string; password: string }) =>
  `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;

const hasPassword = (c: Credential | undefined): c is { username: string; password: string } => !!c && "password" in c;

export class Authenticator {
  private hosts = new Map<string, HostAuth>();
  private pending = new Map<string, Promise<Token>>();

  constructor(private readonly deps: AuthDeps) {}

  /** Everything of this host's that must never be printed: its credential and tokens. */
  secrets(host: string): string[] {
    const tokens = this.hosts.get(host)?.tokens.map((t) => t.value) ?? [];
    return [...secretsOf(this.deps.credentials(host)), ...tokens];
  }

  hasCredentials(host: string): boolean {
    return this.deps.credentials(host) !== undefined;
  }

  /** Records what the host asks for, from any response's `WWW-Authenticate`. */
  learn(host: string, header: string | null): HostAuth {
    const known = this.hosts.get(host) ?? { scheme: "none", tokens: [] };
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === "bearer" && c.params.realm);
    if (bearer) {
      if (known.realm !== bearer.params.realm || known.service !== bearer.params.service) known.tokens = [];
      Object.assign(known, { scheme: "bearer", realm: bearer.params.realm, service: bearer.params.service });
    } else if (challenges.some((c) => c.scheme === "basic")) {
      known.scheme = "basic";
    }
    this.hosts.set(host, known);
    return known;
  }

  /** The `Authorization` to send for `scopes`, before any challenge. */
  async header(host: string, scopes: readonly string[]): Promise<string | undefined> {
    const known = this.hosts.get(host);
    const cred = this.deps.credentials(host);
    if (known?.scheme === "basic") return hasPassword(cred) ? basicHeader(cred) : undefined;
    if (known?.scheme !== "bearer" || scopes.length === 0) return undefined;
    const want = grants(scopes);
    const now = this.deps.now();
    known.tokens = known.tokens.filter((t) => t.expiresAt > now);
    const cached = known.tokens.find((t) => [...want].every((g) => t.grants.has(g) || t.grants.has(g.replace(/[^:]*$/, "*"))));
    return `Bearer ${(cached ?? (await this.token(host, known, scopes))).value}`;
  }

  /**
   * The `Authorization` to retry a 401 with, or undefined when there is nothing new to
   * try (no credentials, or the ones just sent were refused).
   */
  async answer(host: string, header: string | null, scopes: readonly string[], sent: string | undefined): Promise<string | undefined> {
    const known = this.learn(host, header);
    const cred = this.deps.credentials(host);
    if (known.scheme === "basic") {
      const next = hasPassword(cred) ? basicHeader(cred) : undefined;
      return next === sent ? undefined : next;
    }
    if (known.scheme !== "bearer") return undefined;
    // The token just sent was refused (revoked, or short of a scope): forget it, ask anew.
    if (sent?.startsWith("Bearer ")) known.tokens = known.tokens.filter((t) => `Bearer ${t.value}` !== sent);
    const asked = parseChallenges(header).find((c) => c.scheme === "bearer")?.params.scope?.split(" ") ?? [];
    const all = [...new Set([...scopes, ...asked.filter(Boolean)])];
    const fresh = await this.token(host, known, all);
    return `Bearer ${fresh.value}` === sent ? undefined : `Bearer ${fresh.value}`;
  }

  /** One token request per host and scope set at a time; callers in flight share it. */
  private token(host: string, known: HostAuth, scopes: readonly string[]): Promise<Token> {
    const key = `${host} ${[...scopes].sort().join(" ")}`;
    let p = this.pending.get(key);
    if (!p) {
      p = this.request(host, known, scopes).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  private async request(host: string, known: HostAuth, scopes: readonly string[]): Promise<Token> {
    const cred = this.deps.credentials(host);
    const url = new URL(known.realm!);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw remoteRefused(`${host}: token realm ${url.origin} is not HTTP(S)`);
    if (url.protocol === "http:" && cred && !this.deps.plainAllowed(url.host)) {
      throw remoteRefused(`${host}: its token service ${url.origin} is plain HTTP; credentials are not sent there`);
    }
    let init: RequestInit;
    if (cred && "identityToken" in cred) {
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: cred.identityToken, client_id: "strata" });
      if (known.service) form.set("service", known.service);
      if (scopes.length) form.set("scope", scopes.join(" "));
      init = { method: "POST", body: form.toString(), headers: { "content-type": "application/x-www-form-urlencoded" } };
    } else {
      if (known.service) url.searchParams.set("service", known.service);
      for (const s of scopes) url.searchParams.append("scope", s);
      init = { method: "GET", headers: hasPassword(cred) ? { authorization: basicHeader(cred) } : {} };
    }
    const what = `token for ${host} from ${describeRequest(init.method!, url)}`;
    const secrets = this.secrets(host);
    const body = await retrying(this.deps.retry, async () => {
      let res: Response;
      try {
        res = await this.deps.fetch(url, { ...init, redirect: "manual" });
      } catch (err) {
        throw new Transient(`${what}: ${reason(err, secrets)}`);
      }
      if (isTransientStatus(res.status)) {
        const err = await refused(what, res, secrets);
        throw new Transient(err.message, retryAfterMs(res.headers.get("retry-after")));
      }
      if (res.status !== 200) throw await refused(what, res, secrets, cred ? "" : ` (no credentials for ${host})`);
      try {
        return (await res.json()) as { token?: unknown; access_token?: unknown; expires_in?: unknown };
      } catch {
        throw remoteRefused(`${what}: the answer is not JSON`);
      }
    });
    const value = typeof body.token === "string" && body.token ? body.token : body.access_token;
    if (typeof value !== "string" || !value) throw remoteRefused(`${what}: the answer has no token`);
    const seconds = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : DEFAULT_EXPIRES_S;
    const life = seconds * 1000;
    const token = { value, grants: grants(scopes), expiresAt: this.deps.now() + life - Math.min(MARGIN_MS, life / 2) };
    known.tokens.push(token);
    return token;
  }
}
