/**
 * fetch for registries on Bun: trusting the system's CAs (Bun's own bundle lacks the
 * ones a company installs with update-ca-certificates) plus an optional PEM file. Bun's
 * `tls.ca` replaces the default roots rather than adding to them, so the list is the
 * default and system roots together. A certificate Bun does not trust is a *remote
 * refused* error that says so, not a connection failure to retry.
 *
 * Building that list and the first TLS context from it costs ~20 ms, on every command
 * that meets a registry, loopback ones included (their HTTPS probe comes first). So
 * without a CA file a host is first tried with Bun's own roots alone, and only a host
 * whose certificate those do not verify is tried, from then on, with the whole list:
 * the same trust (Bun's roots are in the list), paid for only where it is needed.
 *
 *     const registryFetch = fetchTrusting("/etc/strata/registry-ca.pem");
 */
import process from "node:process";
import { readCaFile, untrusted } from "../../remote/tls.ts";

/** BoringSSL's verification failures, as Bun reports them in `code`. */
const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)|ALTNAME|HOSTNAME/;

const isCertificateError = (err: unknown) => {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && CERTIFICATE.test(code);
};

export function fetchTrusting(caFile?: string): typeof fetch {
  const extra = caFile ? readCaFile(caFile) : undefined;
  let ca: string[] | undefined;
  const all = () => {
    // node:tls is loaded only here: it costs a fresh process ~18 ms, and most never need it.
    const tls = process.getBuiltinModule("node:tls");
    return (ca ??= [...new Set([...tls.getCACertificates("default"), ...tls.getCACertificates("system"), ...(extra ? [extra] : [])])]);
  };
  /** Hosts whose certificates Bun's own roots did not verify. */
  const wide = new Set<string>();
  const trusting = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const withAll = () => fetch(input, { ...init, tls: { ca: all() } } as RequestInit);
    try {
      if (url.protocol !== "https:") return await fetch(input, init);
      if (extra || wide.has(url.host)) return await withAll();
      try {
        return await fetch(input, init);
      } catch (err) {
        if (!isCertificateError(err)) throw err;
        wide.add(url.host);
        return await withAll();
      }
    } catch (err) {
      if (isCertificateError(err)) throw untrusted(url, (err as Error).message);
      throw err;
    }
  };
  return trusting as typeof fetch;
}
