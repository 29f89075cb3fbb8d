/**
 * The snapshot port's optional capabilities, registered only for a snapshotter that has
 * them: `changes` (a snapshot's own changes in overlayfs' format) and `stack` (committed
 * snapshots' changes laid over one another, a merge without copying).
 */
import assert from "node:assert/strict";
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { inTemp, type Test } from "./harness.ts";
import { committed, type MakeSnapshotter, on, tree } from "./trees.ts";

/** A deletion in overlayfs' format: a character device 0/0. */
const isWhiteout = (path: string) => {
  const st = lstatSync(path);
  return st.isCharacterDevice() && st.rdev === 0;
};

export async function capabilitySuite(test: Test, name: string, make: MakeSnapshotter): Promise<void> {
  let has = { changes: false, stack: false };
  await inTemp(async (root) => {
    const s = await make(root);
    has = { changes: s.changes !== undefined, stack: s.stack !== undefined };
  });

  if (has.changes) {
    test(`${name}: changes: a child's own changes, deletions as whiteouts, only against its parent`, on(make, async (s) => {
      const p = await committed(s, "p", { "keep": "p", "gone": "p", "d/inner": "p" });
      assert.equal(s.changes!("p", undefined), p, "a base's changes are its tree");
      await s.prepare("c", "p");
      const c = await s.mount("c");
      writeFileSync(`${c}/new`, "c");
      rmSync(`${c}/gone`);
      writeFileSync(`${c}/d/inner`, "changed");
      await s.commit("c");
      const up = s.changes!("c", "p")!;
      assert.deepEqual(tree(up), ["d", "d/inner", "gone", "new"]);
      assert.ok(isWhiteout(`${up}/gone`));
      assert.equal(readFileSync(`${up}/d/inner`, "utf8"), "changed");
      await committed(s, "other", {});
      assert.equal(s.changes!("c", "other"), undefined);
      assert.equal(s.changes!("c", undefined), undefined);
    }));

    test(`${name}: changes: a layer written into a fresh child's changes shows in its tree`, on(make, async (s) => {
      await committed(s, "p", { "a": "p", "b": "p" });
      await s.prepare("c", "p");
      const up = s.changes!("c", "p")!;
      writeFileSync(`${up}/added`, "c");
      mkdirSync(`${up}/dir`);
      await s.commit("c");
      assert.deepEqual(tree(await s.mount("c")), ["a", "added", "b", "dir"]);
    }));
  }

  if (has.stack) {
    test(`${name}: stack: inputs' changes laid over one another, later deletions winning, the rest written on top`, on(make, async (s) => {
      await committed(s, "a", { "x": "a", "d/a": "a", "y": "a" });
      await committed(s, "b", { "y": "b", "d/b": "b" });
      await s.prepare("c", "b");
      const c = await s.mount("c");
      rmSync(`${c}/y`);
      writeFileSync(`${c}/z`, "c");
      await s.commit("c");
      const { stacked, upper } = await s.stack!("m", ["a", "b", "c"]);
      assert.equal(stacked, 3);
      writeFileSync(`${upper}/w`, "rest");
      await s.commit("m");
      const m = await s.mount("m");
      assert.deepEqual(tree(m), ["d", "d/a", "d/b", "w", "x", "z"]);
      assert.equal(readFileSync(`${m}/x`, "utf8"), "a");
      assert.equal(await s.mount("m"), m);
      assert.equal(await s.empty("m"), false);
      assert.ok((await s.usage("m", ["a", "b", "c"])) < 100_000);
      assert.deepEqual(readdirSync(await s.mount("a")).sort(), ["d", "x", "y"], "inputs are untouched");
    }));
  }
}
