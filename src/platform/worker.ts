/**
 * Starts a worker from an entry point named by its path under `src/`. A compiled binary
 * holds its entry points (compile.ts lists them) under its own root; sources run from
 * their files.
 */
export function startWorker(entry: string): Worker {
  const url = import.meta.url.includes("/$bunfs/") ? `./${entry}` : new URL(`../${entry}`, import.meta.url).href;
  return new Worker(url, { type: "module" });
}

/** An error as it crosses between threads: its message and its code (ENOENT, …). */
export interface WireError {
  message: string;
  code?: string;
}

export const toWire = (err: unknown): WireError => ({ message: (err as Error).message, code: (err as { code?: string }).code });

/** The error again, on the side that throws it, with its code for the CLI's exit status. */
export const fromWire = (e: WireError): Error => Object.assign(new Error(e.message), { code: e.code });
