/**
 * Starts a worker from an entry point named by its path under `src/`. A compiled binary
 * holds its entry points (compile.ts lists them) under its own root; sources run from
 * their files.
 */
export function startWorker(entry: string): Worker {
  const url = import.meta.url.includes("/$bunfs/") ? `./${entry}` : new URL(`../${entry}`, import.meta.url).href;
  return new Worker(url, { type: "module" });
}
