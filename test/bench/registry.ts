/**
 * Issue 13's benchmark, against distribution 2.8 on loopback, all in one run:
 * - `push` of an exported record of the ≈5,000-file / ≈100 MB tree against `skopeo copy`
 *   of the same blobs from an OCI layout (target ≤ 1.0×);
 * - `pull` of it (download and extract) against `skopeo copy` to an OCI layout plus
 *   `tar -xzf` of the layer (≤ 1.0×);
 * - `pull --lazy` of a 10-layer image (≤ 0.1 s), which must fetch no layer blob;
 * - a second `push` of the same record (≤ 0.2 s).
 *
 * Each push run gets a registry of its own, so neither side finds a blob to mount from
 * an earlier run (strata by its remote-blobs table, skopeo by its blob info cache), and
 * strata a fresh root whose record is exported beforehand. Each pull run a fresh root
 * and layout. Roots are made before the clock starts (making one is the same for every
 * command). Runs alternate which side goes first; the median counts.
 */
import { execSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cliCommand } from "../helpers/env.ts";
import { startFaultProxy } from "../helpers/fault-proxy.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { discard, inTurn, median, report, scratch, time } from "./measure.ts";
import { makeTree } from "./tree.ts";

const SKOPEO = ["skopeo", "--insecure-policy", "copy", "--quiet"];

export async function benchRegistry(runs = 3): Promise<boolean[]> {
  const strata = cliCommand();
  const dir = scratch();
  const json = (root: string, args: string[]) => {
    const r = Bun.spawnSync([...strata, "--root", root, "--json", ...args]);
    if (r.exitCode !== 0) throw new Error(`strata ${args.join(" ")}: ${r.stderr}`);
    return JSON.parse(r.stdout.toString());
  };
  /** A root holding the tree as a record, exported (gzip) into its content store. */
  const exportedRoot = (root: string) => {
    const m = json(root, ["new"]);
    execSync(`cp -a ${dir}/src/. ${m.path}`);
    const c = json(root, ["commit", m.id]);
    json(root, ["export", c.id]);
    return c.id as string;
  };
  /** A new, empty root, made (database and all) before anything is timed in it. */
  const fresh = (root: string) => (json(root, ["du"]), root);
  const results: boolean[] = [];
  const registries: TestRegistry[] = [];
  const registry = async () => {
    const r = await startRegistry();
    registries.push(r);
    return r;
  };
  try {
    makeTree(`${dir}/src`);
    const origin = `${dir}/origin`;
    const id = exportedRoot(origin);
    const layout = json(origin, ["export", id, "--output", `${dir}/layout`, "--tag", "bench"]);
    const layer = layout.layers[0];
    console.log(`registry: one ${(layer.size / 1e6).toFixed(1)} MB gzip layer; strata: ${strata.join(" ")}`);

    // Push: an exported record against skopeo copying the same blobs from a layout.
    const ours: number[] = [], theirs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const reg = await registry();
      const root = `${dir}/push-${i}`;
      const rec = exportedRoot(root);
      const skopeo = () => theirs.push(time([...SKOPEO, "--dest-tls-verify=false", `oci:${dir}/layout:bench`, `docker://${reg.host}/bench/skopeo:v1`]));
      const push = () => ours.push(time([...strata, "--root", root, "push", rec, `${reg.host}/bench/strata:v1`]));
      inTurn(i, push, skopeo);
    }
    results.push(report("push", median(ours), median(theirs), "skopeo copy oci: docker://", 1.0));

    // Pull: download and extract, against skopeo to a layout and tar -xzf of its layer.
    const reg = await registry();
    const source = `${reg.host}/bench/src:v1`;
    json(origin, ["push", id, source]);
    const pulls: number[] = [], copies: number[] = [];
    for (let i = 0; i < runs; i++) {
      const out = `${dir}/pulled-${i}`;
      const blob = `${out}/blobs/sha256/${layer.digest.slice(7)}`;
      const skopeo = () =>
        copies.push(time(["sh", "-c", `${SKOPEO.join(" ")} --src-tls-verify=false docker://${source} oci:${out}:v1 && mkdir ${out}/x && tar -xzf ${blob} -C ${out}/x`]));
      const root = fresh(`${dir}/pull-${i}`);
      const pull = () => pulls.push(time([...strata, "--root", root, "pull", source]));
      inTurn(i, pull, skopeo);
    }
    results.push(report("pull", median(pulls), median(copies), "skopeo copy docker:// oci: + tar -xzf", 1.0));

    // pull --lazy of ten layers: the manifest and the config, nothing else.
    const ten = `${dir}/ten`;
    let parent: string | undefined;
    for (let i = 0; i < 10; i++) {
      const m = json(ten, ["new", ...(parent ? ["--parent", parent] : [])]);
      writeFileSync(`${m.path}/layer-${i}`, `layer ${i}\n`.repeat(1000));
      parent = json(ten, ["commit", m.id]).id;
    }
    const tenLayers = json(ten, ["push", parent!, `${reg.host}/bench/ten:v1`]).layers.map((l: { digest: string }) => l.digest);
    const lazy: number[] = [];
    for (let i = 0; i < runs * 3; i++) {
      const root = fresh(`${dir}/lazy-${i}`);
      lazy.push(time([...strata, "--root", root, "pull", "--lazy", `${reg.host}/bench/ten:v1`]));
    }
    // Once more through a recording proxy (spawned without blocking: the proxy runs here).
    const proxy = startFaultProxy(reg.url);
    const p = Bun.spawn([...strata, "--root", `${dir}/lazy-proxy`, "pull", "--lazy", `${proxy.host}/bench/ten:v1`], { stdout: "ignore", stderr: "ignore" });
    const code = await p.exited;
    const fetched = proxy.seen.filter((s) => s.method === "GET" && tenLayers.some((d: string) => s.path.endsWith(d))).length;
    proxy.stop();
    const lazyMs = median(lazy);
    const lazyOk = code === 0 && fetched === 0 && lazyMs <= 100;
    console.log(`pull --lazy of 10 layers: ${lazyMs.toFixed(1)} ms, ${fetched} layer blobs fetched (target <= 100 ms, none fetched) ${lazyOk ? "ok" : "MISSED"}`);
    results.push(lazyOk);

    // A second push of the same record: every blob exists, only the manifest goes up.
    const again: number[] = [];
    for (let i = 0; i < runs * 3; i++) again.push(time([...strata, "--root", origin, "push", id, source]));
    const againMs = median(again);
    const againOk = againMs <= 200;
    console.log(`second push: ${againMs.toFixed(1)} ms (target <= 200 ms) ${againOk ? "ok" : "MISSED"}`);
    results.push(againOk);
  } finally {
    for (const r of registries) await r.stop();
    discard(dir);
  }
  return results;
}
