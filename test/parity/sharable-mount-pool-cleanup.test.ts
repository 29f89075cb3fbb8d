/**
 * Replays BuildKit's TestSharableMountPoolCleanup: a directory a crashed process left in
 * the snapshot area is gone once the store starts again.
 *
 * strata differs: it has no cache-mount pool; the leftover is put where snapshots live
 * (beside a directory strata handed out), and the rule is SPEC §3.14's "no data without a
 * record" after start-up. BuildKit's pool belongs to one daemon; strata's store is shared
 * by processes, so the clean-up must spare work in flight (SPEC §8), which a second test
 * checks with an import running while other processes start, check and collect garbage.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { makeTree } from "../bench/tree.ts";
import { gnuTar } from "../helpers/tars.ts";
import { cleanup, du, type Fresh, fresh, ok } from "./helpers.ts";
import { cliCommand } from "../helpers/env.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

test("TestSharableMountPoolCleanup: directories left in the snapshot area without a record are gone after start-up", () => {
  const root = `${t.dir}/strays`;
  const m = ok(root, "new");
  expect(ok(root, "release", m.id)).toEqual({ id: m.id, deleted: true });
  const area = dirname(m.path);
  // One left by something else, one named like a record's snapshot.
  for (const name of ["strata-tmp-leftover", "aaaaaaaaaaaaaaaaaaaaaaaaa"]) {
    mkdirSync(`${area}/${name}/sub`, { recursive: true });
    writeFileSync(`${area}/${name}/sub/f`, "left behind");
  }
  expect(du(root).records).toEqual([]);
  expect(readdirSync(area)).toEqual([]);
  expect(ok(root, "check").problems).toEqual([]);
});

test("TestSharableMountPoolCleanup: start-up clean-up and gc in other processes spare an import in flight", async () => {
  const root = `${t.dir}/in-flight`;
  makeTree(`${t.dir}/big`, { files: 300, bytes: 24e6 });
  gnuTar(`${t.dir}/big`, `${t.dir}/big.tgz`);
  ok(root, "du");
  const importing = Bun.spawn([...cliCommand(), "--root", root, "--json", "import", `${t.dir}/big.tgz`], {
    env: { ...process.env, STRATA_ROOT: undefined, STRATA_ADDR: undefined },
    stdout: "pipe",
    stderr: "pipe",
  });
  let exited = false;
  void importing.exited.then(() => (exited = true));
  // Start the store again and again while the import runs: each start cleans up, as do gc and check.
  let rounds = 0;
  while (!exited) {
    const cmd = ["du", "gc", "check"][rounds++ % 3]!;
    const r = Bun.spawn([...cliCommand(), "--root", root, "--json", cmd], { stdout: "ignore", stderr: "ignore" });
    await r.exited;
  }
  const [out, err] = await Promise.all([new Response(importing.stdout).text(), new Response(importing.stderr).text()]);
  expect({ code: importing.exitCode, err }).toEqual({ code: 0, err: "" });
  const rec = JSON.parse(out);
  const path = ok(root, "path", rec.id).path;
  expect(existsSync(path)).toBe(true);
  const count = (d: string): number =>
    readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + 1 + (e.isDirectory() ? count(`${d}/${e.name}`) : 0), 0);
  expect(count(path)).toBe(count(`${t.dir}/big`));
  expect(ok(root, "check").problems).toEqual([]);
});
