/**
 * Requests to one registry host, with everything each request needs: the endpoint found
 * by the probe, an `Authorization` for the request's scopes and one answer to a 401,
 * redirects followed by hand so `Authorization` never goes to another origin (a blob
 * GET is often sent on to object storage with a signed URL), and 429, 5xx and network
 * failures turned into `Transient` for the retry loop. `send` retries; `once` does not,
 * for requests that are not safe to repeat on their own (upload steps).
 */
import { StrataError } from "../core/errors.ts";
import type { Authenticator } from "./auth.ts";
import { describeRequest, readError, reason, refused, statusLine } from "./refusal.ts";
import { isTransientStatus, type RetryPolicy, retryAfterMs, retrying, Transient } from "./retry.ts";
import type { Endpoint, Transport } from "./transport.ts";

export interface Call {
  method: "GET" | "HEAD" | "PUT" | "POST" | "PATCH" | "DELETE";
  /** A path under the host (`/v2/…`), or a URL the registry gave (a `Location`). */
  target: string | URL;
  /** Scopes the request needs, `repository:NAME:pull[,push]`. */
  scopes: string[];
  headers?: { [name: string]: string };
  /**
   * Bytes or a file (a Blob), or (for `once` only) a stream, which cannot be sent again after a 401: that
   * 401 is `Transient`, and the caller starts over; the token the 401 brought is cached
   * by then, so the new attempt carries it.
   */
  body?: BodyInit;
}

export interface SessionDeps {
  fetch: typeof fetch;
  transport: Transport;
  auth: Authenticator;
  retry: RetryPolicy;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const USER_AGENT = "strata";

export class Session {
  constructor(readonly host: string, private readonly deps: SessionDeps) {}

  get retry(): RetryPolicy {
    return this.deps.retry;
  }

  secrets(): string[] {
    return this.deps.auth.secrets(this.host);
  }

  /** A response the caller did not expect, as *remote refused*; a 401 without credentials says so. */
  async refused(method: string, target: string | URL, res: Response): Promise<StrataError> {
    const hint = res.status === 401 && !this.deps.auth.hasCredentials(this.host) ? ` (no credentials for ${this.host})` : "";
    return refused(describeRequest(method, await this.url(target)), res, this.secrets(), hint);
  }

  /** The absolute URL of a target. */
  async url(target: string | URL): Promise<URL> {
    return target instanceof URL ? target : new URL(target, (await this.endpoint()).base);
  }

  /** `once`, repeated while it fails in a way worth repeating. */
  send(call: Call): Promise<Response> {
    return retrying(this.deps.retry, () => this.once(call));
  }

  /** One request (two after a 401). A 429 or 5xx, or a failed connection, is `Transient`. */
  async once(call: Call): Promise<Response> {
    const { base } = await this.endpoint();
    const url = call.target instanceof URL ? call.target : new URL(call.target, base);
    // Credentials go to the registry's own origin only, even when it names another.
    const ours = url.origin === base.origin;
    const sent = ours ? await this.deps.auth.header(this.host, call.scopes) : undefined;
    let res = await this.exchange(call, url, sent);
    if (res.status === 401 && ours) {
      const refusal = res;
      const next = await this.deps.auth.answer(this.host, res.headers.get("www-authenticate"), call.scopes, sent).catch(async (err) => {
        await refusal.body?.cancel();
        throw err;
      });
      if (next && call.body instanceof ReadableStream) {
        await res.body?.cancel();
        throw new Transient(`${describeRequest(call.method, url)}: HTTP 401 with a new token to try`);
      }
      if (next) {
        await res.body?.cancel();
        res = await this.exchange(call, url, next);
      }
    }
    if (isTransientStatus(res.status)) {
      const line = statusLine(describeRequest(call.method, url), res.status, await readError(res), this.secrets());
      throw new Transient(line, retryAfterMs(res.headers.get("retry-after")));
    }
    return res;
  }

  private ready?: Promise<Endpoint>;

  /** The endpoint, probed once (again after a failed probe); its challenge is learnt first. */
  private endpoint(): Promise<Endpoint> {
    return (this.ready ??= this.deps.transport.probe(this.host).then(
      (e) => {
        this.deps.auth.learn(this.host, e.challenge);
        return e;
      },
      (err) => {
        this.ready = undefined;
        throw err;
      },
    ));
  }

  /** One fetch, following redirects of GET and HEAD; `Authorization` stays on its origin. */
  private async exchange(call: Call, first: URL, authorization: string | undefined): Promise<Response> {
    let url = first;
    for (let hop = 0; ; hop++) {
      const headers: { [k: string]: string } = { "user-agent": USER_AGENT, ...call.headers };
      if (authorization && url.origin === first.origin) headers.authorization = authorization;
      let res: Response;
      try {
        const duplex = call.body instanceof ReadableStream ? { duplex: "half" } : {};
        res = await this.deps.fetch(url, { method: call.method, headers, body: call.body, redirect: "manual", ...duplex });
      } catch (err) {
        if (err instanceof StrataError) throw err;
        throw new Transient(`${describeRequest(call.method, url)}: ${reason(err, this.secrets())}`);
      }
      const location = res.headers.get("location");
      const follow = (call.method === "GET" || call.method === "HEAD") && REDIRECTS.has(res.status) && location;
      if (!follow || hop >= MAX_REDIRECTS) return res;
      await res.body?.cancel();
      url = new URL(location, url);
    }
  }
}
