/**
 * Builds the single binary `dist/strata` with `bun build --compile`: ESM, bytecode for
 * a fast start, migrations embedded, the allocator's defaults set. Run with `npm run build`.
 */
import { closeSync, openSync, writeSync } from "node:fs";

// Help texts, made from the command table now and built in (see src/main.ts).
const { helpTexts } = await import("./src/cli/table.ts");

const result = await Bun.build({
  // Worker threads are entry points of their own: a compiled binary finds them by
  // their path under src/ (see src/platform/worker.ts).
  entrypoints: [
    "src/main.ts",
    "src/platform/sha256-worker.ts",
    "src/runtime/bun/copy-worker.ts",
    "src/runtime/bun/write-worker.ts",
    "src/runtime/bun/deflate-worker.ts",
    "src/runtime/bun/link-worker.ts",
    "src/runtime/bun/walk-worker.ts",
    "src/runtime/bun/lock-worker.ts",
  ],
  // A binary that read the working directory's bunfig.toml or .env would run a checkout's
  // `preload` script or take its STRATA_ROOT: strata reads neither.
  compile: { outfile: "dist/strata", autoloadBunfig: false, autoloadDotenv: false },
  format: "esm",
  bytecode: true,
  // Chunks load on demand: `version` and `--help` never load SQLite or Kysely.
  splitting: true,
  minify: true,
  sourcemap: "none",
  target: "bun",
  define: { STRATA_HELP: JSON.stringify(helpTexts()) },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}

// The allocator's defaults for this kind of host: huge pages, freed memory kept (see
// src/runtime/bun/allocator.ts). Checked by asking mimalloc itself; a binary that does
// not answer as it should is put back as Bun made it.
const { allocatorDefaults, DEFAULTS } = await import("./src/runtime/bun/allocator.ts");
const at = allocatorDefaults(new Uint8Array(await Bun.file("dist/strata").arrayBuffer()));
const setDefaults = (which: 0 | 1) => {
  const fd = openSync("dist/strata", "r+");
  for (const [name, values] of Object.entries(DEFAULTS)) writeSync(fd, new BigInt64Array([values[which]]), 0, 8, at![name]);
  closeSync(fd);
};
if (at) {
  setDefaults(1);
  const env: Record<string, string | undefined> = { ...process.env, MIMALLOC_VERBOSE: "1" };
  for (const name of Object.keys(DEFAULTS)) delete env[`MIMALLOC_${name.toUpperCase()}`];
  const check = Bun.spawnSync(["dist/strata", "version"], { env });
  const listed = check.stderr.toString();
  if (check.exitCode !== 0 || Object.entries(DEFAULTS).some(([name, [, to]]) => !new RegExp(`option '${name}': ${to}\\s`).test(listed))) {
    setDefaults(0);
    console.warn("note: the binary did not take strata's allocator defaults; it keeps Bun's");
  }
} else {
  console.warn("note: mimalloc's options were not found; the binary keeps Bun's allocator defaults");
}
console.log(`built dist/strata`);
