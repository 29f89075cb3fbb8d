/**
 * What a conformance suite needs from a test runner, so one suite runs on Bun
 * (`bun:test`) and on Deno (`Deno.test`) alike: a way to name a test. Assertions come
 * from `node:assert/strict`, which both runtimes have.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

export type Test = (name: string, fn: () => Promise<void>) => void;

/** Runs `fn` in a fresh temporary directory, removed afterwards whatever happens. */
export async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(`${tmpdir()}/strata-suite-`);
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
