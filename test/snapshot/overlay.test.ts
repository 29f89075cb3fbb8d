/**
 * The overlayfs snapshotter beyond the port's suite: long chains (option strings past a
 * page, chains deeper than overlayfs stacks), read-only commits, where mounts live.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, openSync, realpathSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isOpaque, whiteout } from "../../src/platform/overlay.ts";
import { sys } from "../../src/runtime/bun/sys.ts";
import { hostProcesses } from "../../src/runtime/processes.ts";
import { overlaySnapshotter } from "../../src/snapshot/overlay/index.ts";
import { mountPoints } from "../../src/snapshot/overlay/mountinfo.ts";
import { MS_REMOUNT } from "../../src/platform/sys.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

let root: string;
beforeEach(() => (root = tempDir()));
afterEach(async () => {
  const s = overlaySnapshotter(root, sys, hostProcesses());
  for (const key of s.list()) await s.unmount(key);
  cleanup(root);
});

/**
 * A chain of `n` committed snapshots, each adding a file and deleting the previous one's,
 * written straight into each child's changes (no mount per layer).
 */
async function chain(s: ReturnType<typeof overlaySnapshotter>, n: number): Promise<string> {
  let parent: string | undefined;
  for (let i = 0; i < n; i++) {
    const key = `k${String(i).padStart(3, "0")}${"x".repeat(21)}`; // as long as a record ID
    await s.prepare(key, parent);
    const dir = s.changes!(key, parent)!;
    writeFileSync(`${dir}/f${i}`, String(i));
    if (i > 0) whiteout(sys, `${dir}/f${i - 1}`);
    if (i % 10 === 0) writeFileSync(`${dir}/tens`, String(i));
    await s.commit(key);
    parent = key;
  }
  return parent!;
}

test("a chain of 200 layers mounts and reads correctly: its options are past a page, even relative", async () => {
  const s = overlaySnapshotter(root, sys, hostProcesses());
  const top = await chain(s, 200);
  await s.prepare("child", top);
  const dir = await s.mount("child");
  expect(readdirSync(dir).sort()).toEqual(["f199", "tens"]);
  expect(readFileSync(`${dir}/tens`, "utf8")).toBe("190");
  expect(readFileSync(`${dir}/f199`, "utf8")).toBe("199");
  writeFileSync(`${dir}/mine`, "child");
  expect(readdirSync(s.changes!("child", top)!)).toEqual(["mine"]);
  // The short links made for the mount are gone.
  expect(readdirSync(`${root}/trash`)).toEqual([]);
  expect(existsSync(`${root}/snapshots/${top}/flat`)).toBe(false);
  // A hundred layers fit a page once named relative to the snapshots directory.
  await s.prepare("mid", "k099xxxxxxxxxxxxxxxxxxxxx");
  expect(readdirSync(await s.mount("mid")).sort()).toEqual(["f99", "tens"]);
});

test("a chain deeper than overlayfs stacks is flattened once, under the parent, and reads the same", async () => {
  const s = overlaySnapshotter(root, sys, hostProcesses(), { maxLayers: 6 });
  const top = await chain(s, 12);
  const key = (i: number) => `k${String(i).padStart(3, "0")}${"x".repeat(21)}`;
  const flats = () => readdirSync(`${root}/snapshots`).filter((k) => existsSync(`${root}/snapshots/${k}/flat`)).sort();
  // k006 on k005 would stack seven layers: k005's tree became one; k011 on k010 likewise.
  expect(flats()).toEqual([key(5), key(10)]);
  const ino = statSync(`${root}/snapshots/${key(10)}/flat`).ino;
  await s.prepare("a", top);
  await s.prepare("b", key(10));
  const [a, b] = [await s.mount("a"), await s.mount("b")];
  expect(readdirSync(a).sort()).toEqual(["f11", "tens"]);
  expect(readdirSync(b).sort()).toEqual(["f10", "tens"]);
  expect(readFileSync(`${b}/tens`, "utf8")).toBe("10");
  writeFileSync(`${a}/only-a`, "a");
  expect(existsSync(`${b}/only-a`)).toBe(false);
  // Made once: the second child of k010 lies on the same flat tree, hardlinked from the layers.
  expect(statSync(`${root}/snapshots/${key(10)}/flat`).ino).toBe(ino);
  expect(flats()).toEqual([key(5), key(10)]);
  expect(statSync(`${root}/snapshots/${key(10)}/flat/f10`).ino).toBe(statSync(`${root}/snapshots/${key(10)}/fs/f10`).ino);
  // Its usage counts its own directories only; the files are its layers'.
  expect(await s.usage(key(10))).toBeLessThan(64 << 10);
});

test("commit makes a child's mount read-only where it stands; the path stays", async () => {
  const s = overlaySnapshotter(root, sys, hostProcesses());
  await s.prepare("p");
  writeFileSync(`${await s.mount("p")}/f`, "p");
  await s.commit("p");
  await s.prepare("c", "p");
  const c = await s.mount("c");
  writeFileSync(`${c}/g`, "c");
  await s.commit("c");
  await s.commit("c"); // idempotent
  expect(await s.mount("c")).toBe(c);
  expect(() => writeFileSync(`${c}/h`, "late")).toThrow(/EROFS|read-only/);
  // Mounted again later, it is a read-only view of the same tree.
  await s.unmount("c");
  expect(readdirSync(c)).toEqual([]);
  expect(readdirSync(await s.mount("c")).sort()).toEqual(["f", "g"]);
  expect(() => writeFileSync(`${c}/h`, "late")).toThrow(/EROFS|read-only/);
});

test("a file still open for writing keeps a child from being committed (locked) until it is closed", async () => {
  const s = overlaySnapshotter(root, sys, hostProcesses());
  await s.prepare("p");
  await s.commit("p");
  await s.prepare("c", "p");
  const c = await s.mount("c");
  const fd = openSync(`${c}/busy`, "w");
  await expect(s.commit("c")).rejects.toMatchObject({ code: "locked" });
  closeSync(fd);
  await s.commit("c");
  expect(() => writeFileSync(`${c}/late`, "x")).toThrow(/EROFS|read-only/);
});

test("a remount the kernel calls busy for a moment (a write in progress) is tried again, and the commit succeeds", async () => {
  // The kernel's EBUSY for a write that was under way at that instant, once.
  let busy = 1;
  const flaky = {
    ...sys,
    mount(...args: Parameters<typeof sys.mount>) {
      if (args[3] & MS_REMOUNT && busy-- > 0) throw Object.assign(new Error("mount: EBUSY"), { code: "EBUSY" });
      return sys.mount(...args);
    },
  };
  const s = overlaySnapshotter(root, flaky, hostProcesses());
  await s.prepare("p");
  await s.commit("p");
  await s.prepare("c", "p");
  const c = await s.mount("c");
  writeFileSync(`${c}/f`, "x");
  await s.commit("c");
  expect(busy).toBe(-1);
  expect(() => writeFileSync(`${c}/late`, "x")).toThrow(/EROFS|read-only/);
});

test("mounts live under ROOT/snapshots only, each key once; unmount ends every one", async () => {
  const s = overlaySnapshotter(root, sys, hostProcesses());
  await s.prepare("p");
  await s.commit("p");
  await s.prepare("c", "p");
  const c = await s.mount("c");
  await s.mount("c");
  expect(mountPoints().filter((p) => p === c)).toHaveLength(1);
  expect(s.mounted()).toEqual(["c"]);
  expect(c).toBe(`${realpathSync(root)}/snapshots/c/merged`);
  await s.unmount("c");
  expect(s.mounted()).toEqual([]);
  expect(mountPoints().filter((p) => p.includes(root.split("/").pop()!))).toEqual([]);
});

test("stack stops below a layer with an opaque directory: applying its changes keeps what earlier layers put there", async () => {
  const s = overlaySnapshotter(root, sys, hostProcesses());
  for (const k of ["a", "b"]) {
    await s.prepare(k);
    mkdirSync(`${await s.mount(k)}/d`);
    writeFileSync(`${await s.mount(k)}/d/${k}`, k);
    await s.commit(k);
  }
  await s.prepare("c", "b");
  const c = await s.mount("c");
  rmSync(`${c}/d`, { recursive: true });
  mkdirSync(`${c}/d`);
  writeFileSync(`${c}/d/c`, "c");
  await s.commit("c");
  expect(isOpaque(sys, `${s.changes!("c", "b")}/d`)).toBe(true);
  const { stacked } = await s.stack!("m", ["a", "b", "c"]);
  expect(stacked).toBe(2);
  expect((await s.stack!("none", ["c"])).stacked).toBe(0);
  expect(s.exists("none")).toBe(false);
});

test("a root whose path has a colon or a comma mounts too (named relative to the snapshots directory)", async () => {
  const odd = `${root}/a:b,c`;
  mkdirSync(odd);
  const s = overlaySnapshotter(odd, sys, hostProcesses());
  await s.prepare("p");
  writeFileSync(`${await s.mount("p")}/f`, "p");
  await s.commit("p");
  await s.prepare("c", "p");
  expect(readdirSync(await s.mount("c"))).toEqual(["f"]);
  await s.remove("c");
  await s.remove("p");
});

test("a snapshot another lies on is kept when removed (a record lost to damage), out of the list, and goes with its last child", async () => {
  const s = overlaySnapshotter(root, sys, hostProcesses());
  await s.prepare("p");
  writeFileSync(`${await s.mount("p")}/f`, "p");
  await s.commit("p");
  await s.prepare("c", "p");
  await s.commit("c");
  await s.stack!("m", ["p"]);
  await s.remove("p");
  expect(s.list().sort()).toEqual(["c", "m"]);
  expect(readFileSync(`${await s.mount("c")}/f`, "utf8")).toBe("p");
  await s.remove("c");
  expect(existsSync(`${root}/snapshots/p`)).toBe(true); // the stack still lies on it
  await s.drop("m");
  expect(readdirSync(`${root}/snapshots`)).toEqual([]);
  expect(readdirSync(`${root}/trash`)).toEqual([]);
});

test("a mount left under the trash (a crash between unmount and rename) is ended before the sweep deletes there", async () => {
  const processes = hostProcesses();
  const s = overlaySnapshotter(root, sys, processes);
  await s.prepare("p");
  writeFileSync(`${s.changes!("p", undefined)!}/kept`, "lower");
  await s.commit("p");
  await s.prepare("c", "p");
  await s.mount("c");
  const snapshots = `${realpathSync(root)}/snapshots`;
  renameSync(`${snapshots}/c`, `${root}/trash/${processes.self}~c~crashed`);
  expect(mountPoints().some((p) => p.startsWith(`${realpathSync(root)}/trash/`))).toBe(true);
  await s.sweep();
  expect(mountPoints().filter((p) => p.startsWith(realpathSync(root)))).toEqual([]);
  expect(readdirSync(`${root}/trash`)).toEqual([]);
  // Deleting through the mount would have taken the lower layer's file with it.
  expect(readFileSync(`${snapshots}/p/fs/kept`, "utf8")).toBe("lower");
});
