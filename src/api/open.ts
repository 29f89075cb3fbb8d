/**
 * Opens a root: wires the adapters into the core and runs start-up recovery. The one
 * place that knows which adapter implements which port.
 */
import { mkdirSync } from "node:fs";
import process from "node:process";
import type { Clock } from "../core/ports/host.ts";
import { systemError } from "../core/errors.ts";
import { recover } from "../core/recovery.ts";
import { hostProcesses } from "../runtime/processes.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { localContent } from "../content/local.ts";
import { layerIO } from "../layer/io.ts";
import { chooseSnapshotter } from "../snapshot/choose.ts";
import { nativeSnapshotter } from "../snapshot/native.ts";
import { overlaySnapshotter } from "../snapshot/overlay/index.ts";
import { openStore } from "../store/store.ts";
import type { Registry } from "../core/ports/registry.ts";
import { registryWith } from "./registry.ts";
import { Service } from "./service.ts";

export { defaultRoot } from "./root.ts";


/**
 * `scan: false` opens without repairing damage, so `check` and `gc` can report it.
 * `snapshotter` (--snapshotter: another than the root's is a usage error), else
 * STRATA_SNAPSHOTTER (a default for new roots), else auto; a root keeps the one it was
 * made with (snapshot/choose.ts).
 */
export async function openRoot(
  root: string,
  runtime: Runtime,
  opts: { scan?: boolean; clock?: Clock; daemon?: boolean; snapshotter?: string } = {},
): Promise<Service> {
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw systemError(err, `cannot make the root ${root}`, "error");
  }
  const processes = hostProcesses();
  const asked = opts.snapshotter ?? (process.env.STRATA_SNAPSHOTTER || undefined);
  const choice = chooseSnapshotter(root, runtime.sys, processes.self, asked, opts.snapshotter !== undefined);
  const clock = opts.clock ?? { now: () => Date.now() };
  const store = await openStore(`${root}/meta.db`, runtime.openSqlite, clock);
  // Blobs being written are held by this process until a record refers to them.
  const content = localContent(root, processes.self, (digest) => store.write((tx) => tx.blobs.hold(digest, processes.self)));
  let registry: Promise<Registry> | undefined;
  const d = {
    content,
    layers: layerIO(content, runtime.sys, { zstd: runtime.zstd, inflate: runtime.inflate, deflater: runtime.deflater, gzip: runtime.gzip, writer: runtime.writer, linker: runtime.linker, walker: runtime.walker }),
    store,
    snapshots: choice.name === "overlayfs"
      ? overlaySnapshotter(root, runtime.sys, processes)
      : nativeSnapshotter(root, runtime.sys, processes, runtime.copier),
    snapshotter: choice,
    clock,
    processes,
    locks: runtime.locks(`${root}/locks`, { alone: !opts.daemon }),
    // A daemon's holds for its clients end with the client's expiry or with the daemon.
    holdOwner: opts.daemon ? processes.self : null,
    // Lazy remote records met outside push and pull fetch with docker's credentials and the system's CAs.
    registry: () => (registry ??= registryWith(runtime)),
    registryWith: (settings: Parameters<typeof registryWith>[1]) => registryWith(runtime, settings),
    cacheRecords: opts.daemon,
    runtime: `${runtime.name} ${runtime.version}`,
    contentSize: () => content.size(),
  };
  await recover(d, { scan: opts.scan });
  return new Service(d);
}
