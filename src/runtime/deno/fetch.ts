/**
 * fetch for registries on Deno: an HTTP client whose extra roots are the system's CAs
 * (Deno trusts its bundled Mozilla roots unless told otherwise) plus an optional PEM
 * file; `caCerts` adds to the defaults. A certificate rustls does not trust is a
 * *remote refused* error that says so, not a connection failure to retry; Deno reports
 * it only in the cause's message ("invalid peer certificate: UnknownIssuer").
 *
 *     const registryFetch = fetchTrusting("/etc/strata/registry-ca.pem");
 */
import { readFileSync } from "node:fs";
import tls from "node:tls";
import { usage } from "../../core/errors.ts";
import { untrusted } from "../../remote/transport.ts";

declare const Deno: { createHttpClient(opts: { caCerts?: string[] }): unknown };

export function readCaFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (err) {
    throw usage(`cannot read CA file ${path}: ${(err as { code?: string }).code ?? "unreadable"}`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw usage(`CA file ${path} holds no PEM certificate`);
  return pem;
}

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
