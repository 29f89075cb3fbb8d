/**
 * Builds the single binary `dist/strata` with `bun build --compile`: ESM, bytecode for
 * a fast start, migrations embedded, the allocator on huge pages. Run with `npm run build`.
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

// Huge pages for the allocator's arena: a third off every CLI call on hosts where a fresh
// page is dear (see src/runtime/bun/huge-pages.ts). Checked by asking mimalloc itself;
// a binary that does not answer as it should is put back as Bun made it.
const { allowHugePages } = await import("./src/runtime/bun/huge-pages.ts");
const at = allowHugePages(new Uint8Array(await Bun.file("dist/strata").arrayBuffer()));
const setDefault = (value: bigint) => {
  const fd = openSync("dist/strata", "r+");
  writeSync(fd, new BigInt64Array([value]), 0, 8, at);
  closeSync(fd);
};
if (at !== undefined) {
  setDefault(1n);
  const env = { ...process.env, MIMALLOC_VERBOSE: "1" };
  delete env.MIMALLOC_ALLOW_THP;
  const check = Bun.spawnSync(["dist/strata", "version"], { env });
  if (check.exitCode !== 0 || !/option 'allow_thp': 1/.test(check.stderr.toString())) {
    setDefault(0n);
    console.warn("note: the binary did not take allow_thp; it keeps 4 KiB pages");
  }
} else {
  console.warn("note: mimalloc's allow_thp option was not found; the binary keeps 4 KiB pages");
}
console.log(`built dist/strata`);
