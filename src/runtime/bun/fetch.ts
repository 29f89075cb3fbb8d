/**
 * fetch for registries on Bun: trusting the system's CAs (Bun's own bundle lacks the
 * ones a company installs with update-ca-certificates) plus an optional PEM file. Bun's
 * `tls.ca` replaces the default roots rather than adding to them, so the list is the
 * default and system roots together, read once. A certificate Bun does not trust is a
 * *remote refused* error that says so, not a connection failure to retry.
 *
 *     const registryFetch = fetchTrusting("/etc/strata/registry-ca.pem");
 */
import tls from "node:tls";
import { readCaFile, untrusted } from "../../remote/tls.ts";

/** BoringSSL's verification failures, as Bun reports them in `code`. */
const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)|ALTNAME|HOSTNAME/;

export function fetchTrusting(caFile?: string): typeof fetch {
  const ca = [...new Set([...tls.getCACertificates("default"), ...tls.getCACertificates("system")])];
  if (caFile) ca.push(readCaFile(caFile));
  const trusting = async (input: string | URL | Request, init?: RequestInit) => {
    try {
      return await fetch(input, { ...init, tls: { ca } } as RequestInit);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === "string" && CERTIFICATE.test(code)) {
        throw untrusted(input instanceof Request ? input.url : input, (err as Error).message);
      }
      throw err;
    }
  };
  return trusting as typeof fetch;
}
