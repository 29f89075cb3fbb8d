/**
 * Issue 4's benchmark: materializing a merge of three ≈5,000-file trees against `cp -al`
 * of the three trees (target ≤ 1.3×), and `strata diff` (made and materialized) of two
 * such trees with 1% of files changed against `rsync -an --delete` between them (≤ 1.0×).
 */
import { execSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { cliCommand } from "../helpers/env.ts";
import { discard, median, removeDiscarded, report, scratch, settle, time } from "./measure.ts";
import { makeTree } from "./tree.ts";

export function benchGraph(runs = 5): boolean[] {
  const strata = cliCommand();
  const dir = scratch();
  const root = `${dir}/root`;
  const json = (args: string[]) => JSON.parse(Bun.spawnSync([...strata, "--root", root, "--json", ...args]).stdout.toString());
  const results: boolean[] = [];
  try {
    const ids: string[] = [];
    const paths: string[] = [];
    for (let seed = 1; seed <= 3; seed++) {
      const m = json(["new"]);
      makeTree(m.path, { seed });
      paths.push(m.path);
      ids.push(json(["commit", m.id]).id);
    }
    const ours: number[] = [], cp: number[] = [];
    // Each run links into a fresh directory and materializes a new merge record (each
    // `merge` call makes one); nothing is deleted until the end: see scratch().
    for (let i = 0; i < runs; i++) {
      const cpDir = `${dir}/cp-${i}`;
      settle();
      cp.push(time(["sh", "-c", `mkdir ${cpDir} && ${paths.map((p) => `cp -al ${p}/. ${cpDir}/`).join(" && ")}`]));
      const merged = json(["merge", ...ids]).id;
      settle();
      ours.push(time([...strata, "--root", root, "path", merged]));
    }
    results.push(report("merge of 3 trees (path)", median(ours), median(cp), "cp -al x3", 1.3));

    // Two trees, the second with 1% of its files changed.
    const b = json(["new", "--parent", ids[0]!]);
    const files: string[] = [];
    const walk = (p: string) => {
      for (const e of readdirSync(p, { withFileTypes: true })) {
        if (e.isDirectory()) walk(`${p}/${e.name}`);
        else if (e.isFile()) files.push(`${p}/${e.name}`);
      }
    };
    walk(b.path);
    for (let i = 0; i < files.length; i += 100) writeFileSync(files[i]!, `changed ${i}`);
    const upper = json(["commit", b.id]).id;
    const lowerPath = json(["path", ids[0]!]).path;
    const dOurs: number[] = [], dRsync: number[] = [];
    for (let i = 0; i < runs; i++) {
      settle();
      dRsync.push(time(["rsync", "-an", "--delete", `${b.path}/`, `${lowerPath}/`]));
      settle();
      dOurs.push(time(["sh", "-c", `d=$(${strata.join(" ")} --root ${root} diff ${ids[0]} ${upper}) && ${strata.join(" ")} --root ${root} path $d >/dev/null`]));
    }
    results.push(report("diff, 1% changed (diff + path)", median(dOurs), median(dRsync), "rsync -an --delete", 1.0));
  } finally {
    discard(dir);
  }
  return results;
}

if (import.meta.main) {
  benchGraph();
  removeDiscarded();
}
