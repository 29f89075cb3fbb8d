/**
 * fetch for registries on Deno: an HTTP client whose extra roots are the system's CAs
 * (Deno trusts its bundled Mozilla roots unless told otherwise) plus an optional PEM
 * file; `caCerts` adds to the defaults. A certificate rustls does not trust is a
 * *remote refused* error that says so, not a connection failure to retry; Deno reports
 * it only in the cause's message ("invalid peer certificate: UnknownIssuer").
 *
 *     const registryFetch = fetchTrusting("/etc/strata/registry-ca.pem");
 */
import tls from "node:tls";
import { readCaFile, untrusted } from "../../remote/tls.ts";

declare const Deno: { createHttpClient(opts: { caCerts?: string[] }): unknown };

export function fetchTrusting(caFile?: string): typeof fetch {
  const system = (tls as unknown as { getCACertificates(kind: string): string[] }).getCACertificates("system");
  const client = Deno.createHttpClient({ caCerts: caFile ? [...system, readCaFile(caFile)] : system });
  const trusting = async (input: string | URL | Request, init?: RequestInit) => {
    try {
      return await fetch(input, { ...init, client } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { message?: unknown } }).cause?.message;
      if (typeof cause === "string" && cause.includes("invalid peer certificate")) {
        throw untrusted(input instanceof Request ? input.url : input, cause.replace(/^.*invalid peer certificate/, "invalid peer certificate"));
      }
      throw err;
    }
  };
  return trusting as typeof fetch;
}
