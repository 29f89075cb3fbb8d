/** The overlayfs snapshotter passes the snapshotter suite (it mounts: root only). */
import { test } from "bun:test";
import { hostProcesses } from "../../src/runtime/processes.ts";
import { sys } from "../../src/runtime/bun/sys.ts";
import { overlaySnapshotter } from "../../src/snapshot/overlay/index.ts";
import { snapshotterSuite } from "./snapshotter.ts";

await snapshotterSuite(test, "overlayfs", async (root) => overlaySnapshotter(root, sys, hostProcesses()));
