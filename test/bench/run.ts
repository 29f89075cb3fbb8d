/** `npm run bench`: every benchmark, each printing its ratios against its targets. */
import { benchCore } from "./core.ts";

const results = [...benchCore()];
console.log(`${results.filter(Boolean).length} of ${results.length} targets met`);
