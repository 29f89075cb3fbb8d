/** Timing helpers for benchmarks: wall time of commands, medians, ratio lines. */
import { execSync } from "node:child_process";

export function time(cmd: string[], env?: Record<string, string | undefined>): number {
  const start = performance.now();
  const r = Bun.spawnSync(cmd, { env: env ? { ...process.env, ...env } : process.env, stdout: "pipe", stderr: "pipe" });
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

export function report(name: string, ours: number, theirs: number, baseline: string, target: number): boolean {
  const ratio = ours / theirs;
  const pass = ratio <= target;
  console.log(
    `${name}: ${ours.toFixed(1)} ms vs ${baseline} ${theirs.toFixed(1)} ms = ${ratio.toFixed(2)}x ` +
      `(target <= ${target}x) ${pass ? "ok" : "MISSED"}`,
  );
  return pass;
}
