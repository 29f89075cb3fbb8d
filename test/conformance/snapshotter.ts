/**
 * The snapshotter conformance suite, after containerd's `SnapshotterSuite`: what any
 * implementation of the snapshot port must do. A snapshotter is done when it passes.
 */
import assert from "node:assert/strict";
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import type { Snapshotter } from "../../src/core/ports/snapshots.ts";
import type { Test } from "./harness.ts";
import { capabilitySuite } from "./capabilities.ts";
import { committed, type MakeSnapshotter, on, tree } from "./trees.ts";

export type { MakeSnapshotter };

/**
 * Registers the suite; the capabilities' tests too, for a snapshotter that has them (one
 * is made first to see which), so `await` it before the test file ends.
 */
export async function snapshotterSuite(test: Test, name: string, make: MakeSnapshotter): Promise<void> {
  test(`${name}: a snapshot without a parent starts empty and writable, at one path`, on(make, async (s) => {
    await s.prepare("a");
    const dir = await s.mount("a");
    assert.equal(await s.mount("a"), dir);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(await s.empty("a"), true);
    writeFileSync(`${dir}/f`, "x");
    assert.equal(await s.empty("a"), false);
    assert.deepEqual(s.list(), ["a"]);
    assert.equal(s.exists("a"), true);
    assert.equal(s.exists("b"), false);
  }));

  test(`${name}: commit keeps the path and the tree`, on(make, async (s) => {
    await s.prepare("a");
    const dir = await s.mount("a");
    writeFileSync(`${dir}/f`, "kept");
    await s.commit("a");
    assert.equal(await s.mount("a"), dir);
    assert.equal(readFileSync(`${dir}/f`, "utf8"), "kept");
  }));

  test(`${name}: a child sees its parent's tree, and its writes and deletions stay its own`, on(make, async (s) => {
    const parent = await committed(s, "p", { "keep": "parent", "gone": "parent", "d/inner": "parent" });
    symlinkSync("keep", `${parent}/link`);
    await s.prepare("c", "p");
    const child = await s.mount("c");
    assert.notEqual(child, parent);
    assert.deepEqual(tree(child), ["d", "d/inner", "gone", "keep", "link"]);
    assert.equal(readlinkSync(`${child}/link`), "keep");
    writeFileSync(`${child}/keep`, "child");
    writeFileSync(`${child}/new`, "child");
    rmSync(`${child}/gone`);
    rmSync(`${child}/d`, { recursive: true });
    assert.deepEqual(tree(child), ["keep", "link", "new"]);
    assert.deepEqual(tree(parent), ["d", "d/inner", "gone", "keep", "link"]);
    assert.equal(readFileSync(`${parent}/keep`, "utf8"), "parent");
    assert.equal(await s.empty("c"), false);
  }));

  test(`${name}: a chain of three: the top sees every layer, deletions below stay deleted`, on(make, async (s) => {
    await committed(s, "1", { "a": "1", "b": "1" });
    await s.prepare("2", "1");
    const two = await s.mount("2");
    rmSync(`${two}/a`);
    writeFileSync(`${two}/c`, "2");
    await s.commit("2");
    await committed(s, "3", { "d": "3" }, "2");
    const three = await s.mount("3");
    assert.deepEqual(tree(three), ["b", "c", "d"]);
    assert.equal(readFileSync(`${three}/b`, "utf8"), "1");
  }));

  test(`${name}: two children of one parent do not see each other`, on(make, async (s) => {
    await committed(s, "p", { "f": "p" });
    await s.prepare("x", "p");
    await s.prepare("y", "p");
    writeFileSync(`${await s.mount("x")}/only-x`, "x");
    assert.deepEqual(tree(await s.mount("y")), ["f"]);
  }));

  test(`${name}: remove takes the snapshot away and leaves the others`, on(make, async (s) => {
    await committed(s, "p", { "f": "p" });
    await s.prepare("c", "p");
    const child = await s.mount("c");
    const before = s.version();
    await s.remove("c");
    assert.equal(s.exists("c"), false);
    assert.equal(existsSync(`${child}/f`), false);
    assert.deepEqual(s.list(), ["p"]);
    assert.equal(s.mounted().includes("c"), false);
    assert.notEqual(s.version(), before);
    assert.equal(readFileSync(`${await s.mount("p")}/f`, "utf8"), "p");
    await s.remove("c"); // twice is fine
  }));

  test(`${name}: drop renames at once and deletes in the background`, on(make, async (s) => {
    await committed(s, "a", { "f": "x".repeat(100_000) });
    const gone = s.drop("a");
    assert.equal(s.exists("a"), false);
    await gone;
    assert.deepEqual(s.list(), []);
  }));

  test(`${name}: usage counts a snapshot's own data, each inode once, and leaves out shared inodes`, on(make, async (s) => {
    const a = await committed(s, "a", { "big": "x".repeat(200_000) });
    assert.ok((await s.usage("a")) >= 200_000);
    await s.prepare("c", "a");
    writeFileSync(`${await s.mount("c")}/more`, "y".repeat(100_000));
    assert.ok((await s.usage("c")) >= 100_000);
    await s.prepare("m");
    const m = await s.mount("m");
    linkSync(`${a}/big`, `${m}/big`);
    linkSync(`${a}/big`, `${m}/again`);
    const alone = await s.usage("m");
    assert.ok(alone >= 200_000);
    assert.ok(alone < 400_000, "a hardlinked inode counts once");
    assert.ok((await s.usage("m", ["a"])) < 100_000, "inodes shared with `a` are left out");
  }));

  test(`${name}: leftovers of a process that died are listed and removed whole`, on(make, async (s, root) => {
    // Prepared and written, never committed or recorded: what a crash leaves.
    await committed(s, "p", { "f": "p" });
    await s.prepare("half", "p");
    writeFileSync(`${await s.mount("half")}/f`, "half");
    const again = await make(root); // a later process on the same root
    assert.deepEqual(again.list().sort(), ["half", "p"]);
    // Mounts outlive the process that made them: the next one sees them.
    assert.deepEqual(again.mounted(), s.mounted());
    await again.remove("half");
    assert.deepEqual(again.list(), ["p"]);
    assert.deepEqual(again.mounted().filter((k) => k === "half"), []);
  }));

  test(`${name}: the filesystem's size and free bytes`, on(make, async (s) => {
    const fs = s.filesystem();
    assert.ok(fs.size > 0);
    assert.ok(fs.free >= 0 && fs.free <= fs.size);
  }));
  await capabilitySuite(test, name, make);
}
