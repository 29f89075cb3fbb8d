/**
 * Issue 14's benchmark, on overlayfs roots and the ≈5,000-file / ≈100 MB tree, in one
 * run: `new --parent` against `new` without a parent (≤ 1.5×, and again on a 1 GB tree)
 * and against `cp -a` (≤ 0.1×); a merge of three trees then `path` against `cp -al` of
 * the three (≤ 0.2×); exporting a child that changed 10 files against exporting the
 * whole tree (≤ 0.15×); importing a gzip layer against `tar -xzf` (≤ 1.0×). The two
 * calls' targets are printed beside what a bare start-up and exit of the binary costs.
 */
import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cliCommand } from "../helpers/env.ts";
import { discard, inTurn, median, report, scratch, settle, time } from "./measure.ts";
import { makeTree } from "./tree.ts";

const env = { STRATA_SNAPSHOTTER: "overlayfs" };

export function benchOverlay(runs = 5): boolean[] {
  const strata = cliCommand();
  const dir = scratch();
  const results: boolean[] = [];
  const json = (root: string, args: string[]) => {
    const r = Bun.spawnSync([...strata, "--root", root, "--json", ...args], { env: { ...process.env, ...env } });
    if (r.exitCode !== 0) throw new Error(`strata ${args.join(" ")}: ${r.stderr.toString()}`);
    return JSON.parse(r.stdout.toString());
  };
  const run = (root: string, ...args: string[]) => time([...strata, "--root", root, ...args], env);
  /** A committed record of a generated tree; its directory too. */
  const committed = (root: string, opts: Parameters<typeof makeTree>[1] = {}) => {
    const m = json(root, ["new"]);
    makeTree(m.path, opts);
    return { id: json(root, ["commit", m.id]).id as string, path: m.path as string };
  };
  try {
    // new --parent against new, on the usual tree and on a 1 GB one, and against cp -a.
    const root = `${dir}/root`;
    const tree = committed(root);
    const big = committed(root, { files: 5000, bytes: 1e9, seed: 9 });
    const empty: number[] = [], child: number[] = [], bigChild: number[] = [], cp: number[] = [], bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      settle();
      empty.push(run(root, "new"));
      settle();
      child.push(run(root, "new", "--parent", tree.id));
      settle();
      bigChild.push(run(root, "new", "--parent", big.id));
      settle();
      cp.push(time(["cp", "-a", tree.path, `${dir}/cp-${i}`]));
      // What any call costs before strata's modules load: `version` answers there.
      settle();
      bare.push(time([...strata, "version"]));
    }
    results.push(report("overlayfs new --parent (100 MB)", median(child), median(empty), "new", 1.5));
    results.push(report("overlayfs new --parent (1 GB)", median(bigChild), median(empty), "new", 1.5));
    results.push(report("overlayfs new --parent", median(child), median(cp), "cp -a", 0.1));
    console.log(`  one bare \`strata version\` (start-up and exit): ${median(bare).toFixed(1)} ms; the target above is ${(median(cp) * 0.1).toFixed(1)} ms`);

    // A merge of three trees, then its path, against linking the three with cp -al.
    const inputs = [tree, committed(root, { seed: 2 }), committed(root, { seed: 3 })];
    const merged: number[] = [], links: number[] = [], floor: number[] = [];
    for (let i = 0; i < runs; i++) {
      const to = `${dir}/al-${i}`;
      settle();
      links.push(time(["sh", "-c", `mkdir ${to} && ${inputs.map((t) => `cp -al ${t.path}/. ${to}/`).join(" && ")}`]));
      settle();
      const started = performance.now();
      const m = json(root, ["merge", ...inputs.map((t) => t.id)]);
      json(root, ["path", m.id]);
      merged.push(performance.now() - started);
      // The floor under two calls.
      settle();
      floor.push(time([...strata, "version"]) + time([...strata, "version"]));
    }
    results.push(report("overlayfs merge of 3 + path", median(merged), median(links), "cp -al x3", 0.2));
    console.log(`  two \`strata version\` calls (start-up and exit only): ${median(floor).toFixed(1)} ms; the target above is ${(median(links) * 0.2).toFixed(1)} ms`);

    // Exporting a child that changed 10 files, against exporting its whole parent. Each
    // run has its own root, so no blob is reused.
    const whole: number[] = [], changed: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = `${dir}/e-${i}`;
      const m = json(r, ["new"]);
      execSync(`cp -a ${tree.path}/. ${m.path}`);
      const p = json(r, ["commit", m.id]).id;
      settle();
      whole.push(run(r, "export", p));
      const c = json(r, ["new", "--parent", p]);
      for (let f = 0; f < 10; f++) writeFileSync(`${c.path}/pkg-${f * 17}/package.json`, `{"changed": ${f}}`);
      const cc = json(r, ["commit", c.id]).id;
      settle();
      changed.push(run(r, "export", cc));
    }
    results.push(report("overlayfs export of a 10-file child", median(changed), median(whole), "export of the tree", 0.15));

    // Importing a gzip layer into an overlay root, against tar -xzf.
    execSync(`tar -czf ${dir}/l.tgz -C ${tree.path} .`);
    const ours: number[] = [], tars: number[] = [];
    // Both made before the clock starts (tar's directory, strata's root); the order alternates.
    for (let i = 0; i < runs; i++) {
      const x = `${dir}/x-${i}`, root = `${dir}/i-${i}`;
      mkdirSync(x);
      json(root, ["du"]);
      inTurn(i + 1, () => ours.push(run(root, "import", `${dir}/l.tgz`)), () => tars.push(time(["sh", "-c", `tar -xzf ${dir}/l.tgz -C ${x}`])));
    }
    results.push(report("overlayfs import gzip", median(ours), median(tars), "tar -xzf", 1.0));
  } finally {
    discard(dir);
  }
  return results;
}
