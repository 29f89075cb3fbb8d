/** The native snapshotter passes the snapshotter suite. */
import { test } from "bun:test";
import { hostProcesses } from "../../src/runtime/processes.ts";
import { copier } from "../../src/runtime/bun/copier.ts";
import { sys } from "../../src/runtime/bun/sys.ts";
import { nativeSnapshotter } from "../../src/snapshot/native.ts";
import { snapshotterSuite } from "./snapshotter.ts";

await snapshotterSuite(test, "native", async (root) => nativeSnapshotter(root, sys, hostProcesses(), copier));
