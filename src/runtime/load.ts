/** Loads the adapters of the runtime we run on; nothing else asks which one it is. */
import type { Runtime } from "./runtime.ts";

export async function loadRuntime(): Promise<Runtime> {
  if (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined") {
    return (await import("./bun/index.ts")).runtime;
  }
  return (await import("./deno/index.ts")).runtime;
}
