/**
 * How a registry host is reached. HTTPS comes first, trusting what the caller's
 * `fetch` trusts (the runtime's `fetchTrusting` adds the system CAs and `--ca-file`).
 * Plain HTTP is allowed only to loopback hosts (127.0.0.0/8, ::1, localhost), where
 * nothing crosses a network, and to hosts named insecure; even there it is used only
 * when the host answers `/v2/` as a registry in plain HTTP and, except on a loopback
 * address (see plainFirst), HTTPS cannot connect. A TLS registry whose certificate is
 * not trusted thus fails with the TLS reason, not with whatever its port says to plain
 * HTTP.
 *
 * A session probes `/v2/` once per host; its `WWW-Authenticate` tells the authenticator
 * what the host wants.
 */
import { remoteRefused, StrataError } from "../core/errors.ts";
import { reason } from "./refusal.ts";
import { TLS_HINT } from "./tls.ts";
import { isTransientStatus, type RetryPolicy, retrying, Transient } from "./retry.ts";

export interface Endpoint {
  /** `https://host/` or, where allowed, `http://host/`. */
  base: URL;
  /** The probe's `WWW-Authenticate`, if it was refused. */
  challenge: string | null;
}

/** The host name of `HOST[:PORT]`, brackets of an IPv6 literal removed. */
export function hostname(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]"));
  const colon = host.lastIndexOf(":");
  return colon > 0 && host.indexOf(":") === colon ? host.slice(0, colon) : host;
}

export function isLoopback(host: string): boolean {
  const name = hostname(host).toLowerCase();
  if (name === "localhost" || name === "::1") return true;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return !!m && m.slice(1).every((o) => Number(o) <= 255) && m[1] === "127";
}

/** A loopback IP address (127.0.0.0/8, ::1), not a name. */
export function isLoopbackAddress(host: string): boolean {
  const name = hostname(host).toLowerCase();
  return name !== "localhost" && isLoopback(host);
}

/** Loopback, or named in `insecure` (with its port, or by name for every port). */
export function plainAllowed(host: string, insecure: readonly string[]): boolean {
  if (isLoopback(host)) return true;
  const name = hostname(host).toLowerCase();
  return insecure.some((h) => h.toLowerCase() === host.toLowerCase() || h.toLowerCase() === name);
}

/** Docker Hub's API lives on another name than the one users write. */
export const apiHost = (registry: string) => (registry === "docker.io" ? "registry-1.docker.io" : registry);

/** A registry answers `/v2/` with 200 or 401, and usually says its API version. */
const speaksRegistry = (res: Response) =>
  res.headers.has("docker-distribution-api-version") || res.status === 200 || res.status === 401;

/** Where `/v2/` answered, and what it asked of us. */
async function endpoint(res: Response, at: URL): Promise<Endpoint> {
  const challenge = res.status === 401 ? res.headers.get("www-authenticate") : null;
  await res.body?.cancel();
  return { base: new URL("/", at), challenge };
}

export class Transport {
  constructor(private readonly fetch: typeof globalThis.fetch, private readonly insecure: readonly string[], private readonly retry: RetryPolicy) {}

  plainAllowed(host: string): boolean {
    return plainAllowed(host, this.insecure);
  }

  /** The host's endpoint: which scheme answers `/v2/`, and what it asks of us. */
  probe(host: string): Promise<Endpoint> {
    return retrying(this.retry, () => this.once(host));
  }

  private async once(host: string): Promise<Endpoint> {
    const secure = new URL(`https://${apiHost(host)}/v2/`);
    const quick = isLoopbackAddress(host) ? await this.plainFirst(host) : undefined;
    if (quick) return quick;
    let at = secure;
    let res: Response;
    try {
      res = await this.fetch(secure, { redirect: "manual" });
    } catch (err) {
      if (err instanceof StrataError || !this.plainAllowed(host)) throw this.unreachable(secure, err);
      at = new URL(`http://${apiHost(host)}/v2/`);
      try {
        res = await this.fetch(at, { redirect: "manual" });
      } catch (err2) {
        throw this.unreachable(at, err2);
      }
      if (!speaksRegistry(res)) {
        await res.body?.cancel();
        throw remoteRefused(`${host} answers neither HTTPS (${reason(err, [])}) nor as a plain HTTP registry (HTTP ${res.status})${TLS_HINT}`);
      }
    }
    if (isTransientStatus(res.status)) {
      await res.body?.cancel();
      throw new Transient(`GET ${host}/v2/: HTTP ${res.status}`);
    }
    return endpoint(res, at);
  }

  /**
   * On a loopback address (not a name, which may stand for several), one port speaks
   * either TLS or plain HTTP: a registry's answer in plain HTTP settles it, without the
   * TLS attempt (~15 ms of loading the system CAs). Anything else, a TLS port silent
   * to plain HTTP for a second among it, goes the HTTPS way.
   */
  private async plainFirst(host: string): Promise<Endpoint | undefined> {
    const at = new URL(`http://${host}/v2/`);
    let res: Response;
    try {
      res = await this.fetch(at, { redirect: "manual", signal: AbortSignal.timeout(1000) });
    } catch {
      return undefined;
    }
    if (!speaksRegistry(res) || isTransientStatus(res.status)) {
      await res.body?.cancel();
      return undefined;
    }
    return endpoint(res, at);
  }

  private unreachable(url: URL, err: unknown): Error {
    if (err instanceof StrataError) return err;
    return new Transient(`cannot reach ${url.origin}: ${reason(err, [])}`);
  }
}
