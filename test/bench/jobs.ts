/**
 * Issue 15's benchmark: eight processes asking for the same lazy 100 MB layer at once
 * take at most 1.2× what one process alone takes (one extracts, the others wait for it).
 */
import { execFileSync } from "node:child_process";
import { cliCommand } from "../helpers/env.ts";
import { discard, median, scratch, settle } from "./measure.ts";
import { makeTree } from "./tree.ts";

/** Wall time of `n` processes running the same command at once, until the last is done. */
async function together(n: number, cmd: string[]): Promise<number> {
  const start = performance.now();
  const procs = Array.from({ length: n }, () => Bun.spawn(cmd, { stdout: "ignore", stderr: "pipe" }));
  const codes = await Promise.all(procs.map((p) => p.exited));
  const ms = performance.now() - start;
  if (codes.some((c) => c !== 0)) throw new Error(`${cmd.join(" ")} failed: ${await new Response(procs[0]!.stderr).text()}`);
  return ms;
}

export async function benchJobs(): Promise<boolean[]> {
  const strata = cliCommand();
  const dir = scratch();
  try {
    makeTree(`${dir}/tree`);
    execFileSync("tar", ["-czf", `${dir}/layer.tgz`, "-C", `${dir}/tree`, "."]);
    const lazy = (root: string) =>
      JSON.parse(execFileSync(strata[0]!, [...strata.slice(1), "--root", root, "--json", "import", `${dir}/layer.tgz`, "--lazy"]).toString()).id;
    // One sample each swings with the disk (one alone took 0.5 s to 2.3 s in a run): three
    // rounds, the order alternating, compared by their medians.
    const alones: number[] = [], alls: number[] = [];
    for (let i = 0; i < 3; i++) {
      const one = lazy(`${dir}/one-${i}`);
      const eight = lazy(`${dir}/eight-${i}`);
      const single = async () => (settle(), alones.push(await together(1, [...strata, "--root", `${dir}/one-${i}`, "path", one])));
      const many = async () => (settle(), alls.push(await together(8, [...strata, "--root", `${dir}/eight-${i}`, "path", eight])));
      if (i % 2) (await many(), await single());
      else (await single(), await many());
    }
    const [alone, all] = [median(alones), median(alls)];
    const ratio = all / alone;
    const pass = ratio <= 1.2;
    console.log(
      `8 processes, one lazy 100 MB layer: ${all.toFixed(1)} ms vs one alone ${alone.toFixed(1)} ms = ${ratio.toFixed(2)}x (target <= 1.2x) ${pass ? "ok" : "MISSED"}`,
    );
    return [pass];
  } finally {
    discard(dir);
  }
}
