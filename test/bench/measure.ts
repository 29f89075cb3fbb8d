/** Timing helpers for benchmarks: wall time of commands, medians, ratio lines. */
import { execSync } from "node:child_process";
import { existsSync, readlinkSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { sys } from "../../src/runtime/bun/sys.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

/**
 * A scratch directory whose subdirectories ext4 spreads over block groups (`chattr +T`).
 * This disk's ext4 has no journal, and there allocating an inode skips every inode of
 * the group freed in the last minute: a `tar -x` right after an `rm -rf` of a like tree
 * took 4 s instead of 0.2 s. Each run's directories, ours and the baseline's, land in
 * fresh groups, so neither side pays for the other's deletions.
 */
export function scratch(): string {
  const dir = tempDir("strata-bench-");
  sys.markTopDir(dir);
  return dir;
}

/**
 * For the same reason, a finished benchmark's scratch directory is removed only when
 * the whole run ends (`removeDiscarded`): removing it earlier would slow the next
 * benchmark's file creation for a minute.
 */
const discarded: string[] = [];
export const discard = (dir: string) => void discarded.push(dir);
export function removeDiscarded() {
  // cleanup: what overlayfs roots left mounted goes first.
  for (const dir of discarded.splice(0)) cleanup(dir);
}

/** Wall time of `cmd`; its output is read through a pipe, or written to the file `stdout` is open on. */
export function time(cmd: string[], env?: Record<string, string | undefined>, stdout: "pipe" | number = "pipe"): number {
  const start = performance.now();
  const r = Bun.spawnSync(cmd, { env: env ? { ...process.env, ...env } : process.env, stdout, stderr: "pipe" });
  const ms = performance.now() - start;
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}`);
  return ms;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Flushes dirty pages so one run's writeback does not land on the next run's clock. */
export function settle() {
  execSync("sync");
}

/** Runs `ours` and `theirs`, each after a `settle`; odd rounds `theirs` first, so neither always follows the other. */
export function inTurn(round: number, ours: () => unknown, theirs: () => unknown) {
  for (const run of round % 2 ? [theirs, ours] : [ours, theirs]) {
    settle();
    run();
  }
}

export function report(name: string, ours: number, theirs: number, baseline: string, target: number): boolean {
  const ratio = ours / theirs;
  const pass = ratio <= target;
  console.log(
    `${name}: ${ours.toFixed(1)} ms vs ${baseline} ${theirs.toFixed(1)} ms = ${ratio.toFixed(2)}x ` +
      `(target <= ${target}x) ${pass ? "ok" : "MISSED"}`,
  );
  return pass;
}

/**
 * On ext4 without a journal, waits until inodes freed before this run (by tests, say)
 * are no longer skipped: a freed inode counts as recent for 60 s, or 360 s while its
 * inode table block is dirty, which new files in the same group make it again. Set
 * STRATA_BENCH_NO_WAIT=1 to skip the wait on a machine that has been quiet.
 */
export async function ageFreedInodes() {
  const dev = statSync(tmpdir()).dev;
  const name = (() => {
    try {
      return readlinkSync(`/sys/dev/block/${Math.floor(dev / 256)}:${dev % 256}`).split("/").pop()!;
    } catch {
      return "";
    }
  })();
  if (!name || !existsSync(`/proc/fs/ext4/${name}`) || existsSync(`/proc/fs/jbd2/${name}-8`)) return;
  if (process.env.STRATA_BENCH_NO_WAIT) return;
  console.log(`${name} is ext4 without a journal: waiting 6 min for recently freed inodes to age (see measure.ts)`);
  execSync("sync");
  await Bun.sleep(361_000);
}
