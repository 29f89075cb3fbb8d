/**
 * One CI job after another, on a shared root, for the soak test: restore a cache by key
 * (with a restore prefix), build on it, commit under a new key, import a layer, export,
 * merge, release. Opens the root directly, as a build tool embedding strata would, while
 * a daemon and other processes use the same root. Prints one JSON line per operation
 * (`{op, code}`: ok, or the error's code) and per acknowledged commit (`{ack, hash}`), as
 * it goes, so a kill -9 loses nothing already said.
 *
 *   bun test/soak/worker.ts ROOT NAME SECONDS FIXTURES
 */
import { readdirSync, writeFileSync } from "node:fs";
import { direct } from "../../src/api/invoke.ts";
import { openRoot } from "../../src/api/open.ts";
import { codeOf } from "../../src/core/errors.ts";
import { runtime } from "../../src/runtime/bun/index.ts";
import { treeHash } from "./tree.ts";

const [root, name, seconds, fixtures] = process.argv.slice(2) as [string, string, string, string];
const c = direct(await openRoot(root, runtime));
const say = (line: object) => process.stdout.write(JSON.stringify(line) + "\n");
const layers = readdirSync(fixtures).filter((f) => f.endsWith(".tgz"));

/** Runs one operation; its outcome is said, and a failure gives undefined. */
async function step<T>(op: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    const out = await fn();
    say({ op, code: "ok" });
    return out;
  } catch (err) {
    // The message too, so a failed soak says what went wrong (a stack for unexpected ones).
    const code = codeOf(err);
    say({ op, code, message: code === "error" ? String((err as Error).stack ?? err) : String((err as Error).message ?? err) });
    return undefined;
  }
}

const end = Date.now() + Number(seconds) * 1000;
for (let n = 0; Date.now() < end; n++) {
  const hit = await step("key get", () => c.call("keyGet", { name: `deps-${name}-${n}`, restorePrefix: ["deps-"] }));
  const made = await step("new", () => c.call("create", { parent: hit?.id, description: `${name} job ${n}`, hold: "1m" }));
  if (!made) continue;
  // Some 1.3 MB a job, so the store's own few directories are small beside what it keeps.
  for (let i = 0; i < 20; i++) writeFileSync(`${made.path}/${name}-${n}-${i}`, `${name} ${n} ${i}\n`.repeat(5000 + i));
  const hash = treeHash(made.path);
  const committed = await step("commit", () => c.call("commit", { id: made.id, key: `deps-${name}-${n}` }));
  if (committed) say({ ack: committed.id, hash });
  const layer = layers[n % layers.length]!;
  const imported = await step("import", () => c.call("importLayer", { source: `${fixtures}/${layer}`, lazy: n % 2 === 0 }));
  if (imported) await step("path", () => c.call("path", { ref: imported.id }));
  if (committed) await step("export", () => c.call("exportRecord", { ref: committed.id, compression: n % 2 ? "zstd" : "gzip" }));
  if (committed && imported) {
    const merged = await step("merge", () => c.call("merge", { refs: [committed.id, imported.id] }));
    if (merged) await step("path", () => c.call("path", { ref: merged.id }));
  }
  await step("release", () => c.call("release", { id: made.id }));
}
await c.close();
process.exit(0);
