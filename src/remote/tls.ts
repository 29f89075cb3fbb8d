/**
 * What the runtimes' `fetchTrusting` (runtime/bun|deno/fetch.ts) share: reading the
 * `--ca-file`, and the error for a certificate they do not trust. A TLS failure on trust
 * will not heal by retrying, so it is *remote refused* at once, naming the flag that
 * fixes the usual cause: a registry with a private CA.
 */
import { readFileSync } from "node:fs";
import { remoteRefused, usage } from "../core/errors.ts";

export const TLS_HINT = " (a private CA? name its certificate with --ca-file)";

/** The error for a certificate the runtime does not trust. */
export const untrusted = (url: string | URL, why: string) =>
  remoteRefused(`TLS to ${new URL(String(url)).host} failed: ${why}${TLS_HINT}`);

/** The PEM text of a CA file; a missing file or one without a certificate is a usage error. */
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
