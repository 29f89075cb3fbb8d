/**
 * Child process for the prune benchmark: opens the root, then answers `info` for one
 * record every few milliseconds until stdin closes; prints the latencies as JSON.
 */
import { openRoot } from "../../src/api/open.ts";
import { runtime } from "../../src/runtime/bun/index.ts";

const [root, id] = process.argv.slice(2);
const svc = await openRoot(root!, runtime);
const latencies: number[] = [];
let done = false;
process.stdin.on("close", () => (done = true)).resume();
console.log("ready");
while (!done) {
  const t = performance.now();
  await svc.info({ ref: id! });
  latencies.push(performance.now() - t);
  await Bun.sleep(5);
}
await svc.close();
console.log(JSON.stringify(latencies));
