/**
 * How this process reaches registries: the client of src/remote behind the core's port,
 * with the settings of one command (`--creds-file`, `--ca-file`, `--insecure-registry`;
 * `$DOCKER_CONFIG` otherwise). The settings live in the client only: nothing here is
 * stored, logged or put in a message. The client's modules load on the first call, so a
 * command that never meets a registry never loads them.
 *
 *     const registry = await registryWith(runtime, { caFile: "/etc/strata/ca.pem" });
 */
import type { Registry } from "../core/ports/registry.ts";
import type { Runtime } from "../runtime/runtime.ts";

export interface RegistrySettings {
  /** A docker config.json-shaped file with the credentials (default: docker's own). */
  credsFile?: string;
  /** A PEM file of CAs to trust besides the system's. */
  caFile?: string;
  /** Hosts spoken to in plain HTTP besides loopback ones. */
  insecure?: string[];
}

export async function registryWith(runtime: Runtime, settings: RegistrySettings = {}): Promise<Registry> {
  const [{ createRegistry }, { dockerCredentials }, { registryPort }] = await Promise.all([
    import("../remote/client.ts"), import("../remote/credentials.ts"), import("../remote/port.ts"),
  ]);
  return registryPort(createRegistry({
    fetch: await runtime.registryFetch(settings.caFile),
    credentials: dockerCredentials({ credsFile: settings.credsFile }),
    insecure: settings.insecure ?? [],
    fileBody: runtime.uploadFile,
  }));
}
