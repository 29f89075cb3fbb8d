/**
 * `push` and `pull` for the service (SPEC §6): each call reaches registries with its own
 * settings (`--creds-file`, `--ca-file`, `--insecure-registry`), which live in that
 * call's client and nowhere else, and streams progress items (a blob's bytes so far)
 * before its result, for a terminal's progress line and the daemon's NDJSON.
 */
import { push } from "../core/push.ts";
import { pull } from "../core/pull.ts";
import type { LayerDeps } from "../core/layers.ts";
import type { Registry } from "../core/ports/registry.ts";
import type { Record, RecordRow } from "../core/record.ts";
import { withProgress } from "./progress.ts";
import type { RegistrySettings } from "./registry.ts";
import type * as s from "./schemas.ts";

export interface RemoteDeps extends LayerDeps {
  /** A registry client with one command's settings. */
  registryWith(settings: RegistrySettings): Promise<Registry>;
}

const settingsOf = (input: s.PushInput | s.PullInput): RegistrySettings => ({
  credsFile: input.credsFile, caFile: input.caFile, insecure: input.insecureRegistry,
});

export class RemoteOps {
  constructor(private d: RemoteDeps, private describe: (row: RecordRow) => Promise<Record>) {}

  push(input: s.PushInput) {
    return withProgress(async (report) => {
      const registry = await this.d.registryWith(settingsOf(input));
      const { hostPlatform } = await import("../remote/manifest.ts");
      const annotations = Object.fromEntries((input.annotation ?? []).map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]));
      return push(this.d, registry, {
        ref: input.ref, target: input.target, compression: input.compression, annotations, platform: hostPlatform(), progress: report,
      });
    });
  }

  pull(input: s.PullInput) {
    return withProgress(async (report) => {
      const registry = await this.d.registryWith(settingsOf(input));
      const got = await pull(this.d, registry, {
        source: input.source, lazy: input.lazy, restorePrefixes: input.restorePrefix, platform: input.platform, progress: report,
      });
      return { ...(await this.describe(got.row)), source: got.source, exact: got.exact };
    });
  }
}
