/**
 * Issue 2's benchmark: `strata new --parent` of a committed ≈5,000-file / ≈100 MB tree
 * against `cp -a` of the same tree, and compiled `strata version` and `strata help prune`
 * start-up against `bun -e 0` (issues 2 and 16). Runs alternate and the median counts.
 */
import { existsSync } from "node:fs";
import { cliCommand, repo } from "../helpers/env.ts";
import { discard, median, report, scratch, settle, time } from "./measure.ts";
import { makeTree } from "./tree.ts";

export function benchCore(runs = 5) {
  const dir = scratch();
  const root = `${dir}/root`;
  const strata = cliCommand();
  try {
    const json = (args: string[]) => JSON.parse(Bun.spawnSync([...strata, "--root", root, "--json", ...args]).stdout.toString());
    const m = json(["new"]);
    const tree = makeTree(m.path);
    const c = json(["commit", m.id]);
    console.log(`tree: ${tree.files} files, ${(tree.bytes / 1e6).toFixed(0)} MB; strata: ${strata.join(" ")}`);

    const cp: number[] = [];
    const ours: number[] = [];
    for (let i = 0; i < runs; i++) {
      settle();
      cp.push(time(["cp", "-a", m.path, `${dir}/cp-${i}`]));
      settle();
      ours.push(time([...strata, "--root", root, "new", "--parent", c.id]));
    }
    const results = [report("new --parent", median(ours), median(cp), "cp -a", 1.0)];

    const bin = `${repo}/dist/strata`;
    if (existsSync(bin)) {
      const startBun: number[] = [];
      const startStrata: number[] = [];
      for (let i = 0; i < 30; i++) {
        startBun.push(time([process.execPath, "-e", "0"]));
        startStrata.push(time([bin, "version"]));
      }
      results.push(report("compiled version start-up", median(startStrata), median(startBun), "bun -e 0", 1.3));
      const startHelp: number[] = [];
      for (let i = 0; i < 30; i++) startHelp.push(time([bin, "help", "prune"]));
      results.push(report("compiled `help prune` start-up", median(startHelp), median(startBun), "bun -e 0", 1.3));
    } else {
      console.log("compiled version start-up: dist/strata missing, run `npm run build` first");
    }
    return results;
  } finally {
    discard(dir);
  }
}
