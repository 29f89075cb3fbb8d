/**
 * Issue 3's benchmark, on the ≈5,000-file / ≈100 MB tree, all in one run: `strata
 * import` of a gzip and a zstd layer against `tar -xzf` / `tar --zstd -xf`, `strata
 * export` against `tar -czf` / `tar --zstd -cf`, and containerd's own import of the same
 * image (`ctr`, native snapshotter) when containerd is installed.
 */
import { execSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { cliCommand } from "../helpers/env.ts";
import { discard, inTurn, median, report, scratch, settle, time } from "./measure.ts";
import { makeTree } from "./tree.ts";

export async function benchLayers(runs = 5): Promise<boolean[]> {
  const strata = cliCommand();
  const dir = scratch();
  const results: boolean[] = [];
  try {
    makeTree(`${dir}/src`);
    execSync(`tar -czf ${dir}/l.tgz -C ${dir}/src . && tar --zstd -cf ${dir}/l.zst -C ${dir}/src .`);
    const json = (args: string[]) => JSON.parse(Bun.spawnSync([...strata, "--json", ...args]).stdout.toString());

    for (const [name, file, flag] of [["gzip", "l.tgz", "-xzf"], ["zstd", "l.zst", "--zstd -xf"]] as const) {
      const ours: number[] = [], tars: number[] = [];
      // Fresh directories each run, deleted at the end: see scratch(). Both are made before
      // the clock starts, tar's directory and strata's root (its database and all), and the
      // runs alternate which side goes first.
      for (let i = 0; i < runs; i++) {
        const x = `${dir}/x-${name}-${i}`, root = `${dir}/r-${name}-${i}`;
        mkdirSync(x);
        json(["--root", root, "du"]);
        inTurn(
          i + 1,
          () => ours.push(time([...strata, "--root", root, "import", `${dir}/${file}`])),
          () => tars.push(time(["sh", "-c", `tar ${flag} ${dir}/${file} -C ${x}`])),
        );
      }
      results.push(report(`import ${name}`, median(ours), median(tars), `tar ${flag}`, 1.0));
    }

    // Export: a committed record of the tree, in a new root each run, so no blob is reused.
    for (const [name, flag] of [["gzip", "-czf"], ["zstd", "--zstd -cf"]] as const) {
      const ours: number[] = [], tars: number[] = [];
      for (let i = 0; i < runs; i++) {
        const root = `${dir}/e-${name}-${i}`;
        const m = json(["--root", root, "new"]);
        execSync(`cp -a ${dir}/src/. ${m.path}`);
        const c = json(["--root", root, "commit", m.id]);
        settle();
        tars.push(time(["sh", "-c", `tar ${flag} ${dir}/out-${name}-${i}.tar -C ${dir}/src .`]));
        settle();
        ours.push(time([...strata, "--root", root, "export", c.id, "--compression", name]));
      }
      results.push(report(`export ${name}`, median(ours), median(tars), `tar ${flag}`, 1.0));
    }

    if (existsSync("/usr/bin/containerd") && existsSync("/usr/bin/ctr")) await vsContainerd(dir, strata, runs);
    else console.log("import vs containerd: containerd not installed (apt-get install containerd)");
  } finally {
    discard(dir);
  }
  return results;
}

/**
 * The same image imported by containerd (native snapshotter) and by strata, from one OCI
 * archive. Each containerd run gets a fresh root: its content store is global, and a
 * blob left by the previous run would be skipped.
 */
async function vsContainerd(dir: string, strata: string[], runs: number) {
  const m = JSON.parse(Bun.spawnSync([...strata, "--root", `${dir}/o`, "--json", "import", `${dir}/l.tgz`]).stdout.toString());
  Bun.spawnSync([...strata, "--root", `${dir}/o`, "export", m.id, "--output", `${dir}/layout`, "--tag", "bench"]);
  execSync(`tar -cf ${dir}/image.tar -C ${dir}/layout .`);
  const theirs: number[] = [], ours: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const sock = `${dir}/containerd-${i}.sock`;
      const d = Bun.spawn(
        ["containerd", "--root", `${dir}/ctrd-root-${i}`, "--state", `${dir}/ctrd-state-${i}`, "--address", sock, "--config", "/dev/null"],
        { stderr: "ignore", stdout: "ignore" },
      );
      try {
        for (let j = 0; j < 100 && !existsSync(sock); j++) await Bun.sleep(50);
        settle();
        theirs.push(time(["ctr", "--address", sock, "-n", "bench", "images", "import", "--snapshotter", "native", `${dir}/image.tar`]));
      } finally {
        d.kill();
        await d.exited;
      }
      settle();
      ours.push(time([...strata, "--root", `${dir}/r2-${i}`, "import", `oci:${dir}/layout:bench`]));
    }
    const ratio = median(ours) / median(theirs);
    console.log(`import vs containerd: ${median(ours).toFixed(1)} ms vs ctr images import (native) ${median(theirs).toFixed(1)} ms = ${ratio.toFixed(2)}x (goal < 1x) ${ratio < 1 ? "ok" : "slower"}`);
  } catch (err) {
    console.log(`import vs containerd: could not measure (${(err as Error).message.split("\n")[0]})`);
  }
}
