/** `npm run bench`: every benchmark, each printing its ratios against its targets. */
import { benchCore } from "./core.ts";
import { benchGraph } from "./graph.ts";
import { benchHttp } from "./http.ts";
import { benchJobs } from "./jobs.ts";
import { benchLayers } from "./layers.ts";
import { benchOverlay } from "./overlay.ts";
import { ageFreedInodes, removeDiscarded } from "./measure.ts";
import { benchRecords } from "./records.ts";
import { benchRegistry } from "./registry.ts";

const only = process.argv[2];
const results: boolean[] = [];
await ageFreedInodes();
try {
  if (!only || only === "core") results.push(...benchCore());
  if (!only || only === "layers") results.push(...(await benchLayers()));
  if (!only || only === "graph") results.push(...benchGraph());
  if (!only || only === "records") results.push(...(await benchRecords()));
  if (!only || only === "http") results.push(...(await benchHttp()));
  if (!only || only === "jobs") results.push(...(await benchJobs()));
  if (!only || only === "overlay") results.push(...benchOverlay());
  if (!only || only === "registry") results.push(...(await benchRegistry()));
} finally {
  removeDiscarded();
}
console.log(`${results.filter(Boolean).length} of ${results.length} targets met`);
