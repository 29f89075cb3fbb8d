/**
 * The port conformance suites on Deno: the SQLite store on node:sqlite, the native and
 * overlayfs snapshotters with Deno's libc calls (overlayfs where this process may mount,
 * as root), the local content store.
 */
import process from "node:process";
import { localContent } from "../../src/content/local.ts";
import { runtime } from "../../src/runtime/deno/index.ts";
import { hostProcesses } from "../../src/runtime/processes.ts";
import { nativeSnapshotter } from "../../src/snapshot/native.ts";
import { overlaySnapshotter } from "../../src/snapshot/overlay/index.ts";
import { openStore } from "../../src/store/store.ts";
import { contentSuite } from "../conformance/content.ts";
import { metadataSuite } from "../conformance/metadata.ts";
import { snapshotterSuite } from "../conformance/snapshotter.ts";

declare const Deno: { test(name: string, fn: () => Promise<void>): void };
const test = (name: string, fn: () => Promise<void>) => Deno.test(name, fn);

metadataSuite(test, "sqlite (deno)", (file, clock) => openStore(file, runtime.openSqlite, clock));
await snapshotterSuite(test, "native (deno)", async (root) => nativeSnapshotter(root, runtime.sys, hostProcesses(), runtime.copier));
if (process.getuid?.() === 0) {
  await snapshotterSuite(test, "overlayfs (deno)", async (root) => overlaySnapshotter(root, runtime.sys, hostProcesses()));
}
contentSuite(test, "local (deno)", localContent);
