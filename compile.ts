/**
 * Builds the single binary `dist/strata` with `bun build --compile`: ESM, bytecode for
 * a fast start, migrations embedded. Run with `npm run build`.
 */
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
console.log(`built dist/strata`);
