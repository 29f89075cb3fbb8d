/**
 * The overlayfs snapshotter through the CLI (SPEC §7): mounts that outlive the CLI while
 * a record holds them, read-only once committed, gone with release and prune; merges as
 * stacks; the choice of snapshotter, kept per root, and why a root is native.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { sys } from "../../src/runtime/bun/sys.ts";
import { isMountPoint } from "../../src/snapshot/overlay/mount.ts";
import { mountsUnder } from "../../src/snapshot/overlay/mountinfo.ts";
import { cleanup, cli, cliCommand, ok, tempDir } from "../helpers/env.ts";

let dir: string;
beforeAll(() => (dir = tempDir()));
afterAll(() => cleanup(dir));

let n = 0;
const fresh = () => `${dir}/root-${n++}`;
const ov = (root: string, ...args: string[]) => ok(root, "--snapshotter", "overlayfs", ...args);
const mounts = (root: string) => mountsUnder(realpathSync(root));

test("new --parent mounts the child beyond the CLI; the parent stays as it was; usage counts the child's upper", () => {
  const root = fresh();
  const base = ov(root, "new");
  writeFileSync(`${base.path}/big`, "x".repeat(1 << 20));
  const parent = ov(root, "commit", base.id);
  const child = ov(root, "new", "--parent", parent.id);
  expect(child.path).toBe(`${realpathSync(root)}/snapshots/${child.id}/merged`);
  expect(isMountPoint(child.path)).toBe(true); // the CLI that mounted it has exited
  expect(readFileSync(`${child.path}/big`, "utf8")).toHaveLength(1 << 20);
  writeFileSync(`${child.path}/mine`, "child");
  rmSync(`${child.path}/big`);
  expect(existsSync(`${base.path}/big`)).toBe(true);
  const c = ov(root, "commit", child.id);
  expect(c.size).toBeLessThan(64 << 10);
  const du = ov(root, "du");
  expect(du.snapshotter).toEqual({ name: "overlayfs" });
  expect(ov(root, "info", c.id).snapshotter).toEqual({ name: "overlayfs" });
  expect(ov(root, "version").snapshotter).toEqual({ name: "overlayfs" });
  expect(cli(root, "du").stdout).toMatch(/^Snapshotter:\s+overlayfs$/m);
});

test("finalize makes a mount read-only where it stands; release and prune unmount before deleting", () => {
  const root = fresh();
  const base = ov(root, "new");
  writeFileSync(`${base.path}/f`, "base");
  const b = ov(root, "commit", base.id);
  const m = ov(root, "new", "--parent", b.id);
  writeFileSync(`${m.path}/g`, "m");
  const mc = ov(root, "commit", m.id);
  // A child finalizes its parent: the path handed out at `new` is now read-only.
  const grandchild = ov(root, "new", "--parent", mc.id);
  expect(() => writeFileSync(`${m.path}/late`, "x")).toThrow(/EROFS|read-only/);
  expect(readdirSync(grandchild.path).sort()).toEqual(["f", "g"]);
  // Released uncommitted: deleted, and unmounted first.
  expect(ov(root, "release", grandchild.id).deleted).toBe(true);
  expect(isMountPoint(grandchild.path)).toBe(false);
  expect(existsSync(`${root}/snapshots/${grandchild.id}`)).toBe(false);
  expect(mounts(root).length).toBe(1); // m's
  const pruned = cli(root, "--json", "prune", "--all");
  expect(pruned.code).toBe(0);
  expect(mounts(root)).toEqual([]);
  expect(readdirSync(`${root}/snapshots`)).toEqual([]);
  expect(readdirSync(`${root}/trash`)).toEqual([]);
});

/**
 * Two bases, a child deleting, a child replacing a directory (opaque on overlayfs), and a
 * diff two layers deep: merged on a root of the given snapshotter.
 */
function mergeOf(root: string, as: "overlayfs" | "native") {
  const run = (...args: string[]) => ok(root, "--snapshotter", as, ...args);
  const snapshots: { [id: string]: string } = {};
  const tree = (files: { [p: string]: string }, parent?: string) => {
    const m = run("new", ...(parent ? ["--parent", parent] : []));
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(`${m.path}/${p}`.replace(/\/[^/]*$/, ""), { recursive: true });
      if (text === "") rmSync(`${m.path}/${p}`, { recursive: true });
      else writeFileSync(`${m.path}/${p}`, text);
    }
    const id = run("commit", m.id).id;
    snapshots[id] = m.id;
    return id;
  };
  const a = tree({ "a": "a".repeat(100_000), "shared/a": "a", "c": "from a" });
  const b = tree({ "b": "b", "shared/b": "b", "gone": "b" });
  const c = tree({ "gone": "", "c": "c" }, b);
  const o = tree({ "shared": "", "shared/o": "o" }, a);
  const x = tree({ "x": "x", "y": "y", "shared/x": "x" });
  const y = tree({ "y": "", "z": "z", "shared/x": "" }, tree({ "w": "w" }, x));
  const merged = run("merge", a, c, o, run("diff", x, y).id);
  return { merged, a, o: snapshots[o]!, path: run("path", merged.id).path };
}

const listing = (at: string): string[] =>
  readdirSync(at, { recursive: true }).map(String).sort().map((p) => `${p}=${lstatSync(`${at}/${p}`).isFile() ? readFileSync(`${at}/${p}`, "utf8").slice(0, 8) : ""}`);

test("merge stacks its inputs without copying, applies the rest on top with hardlinks, and gives the native merge's tree", () => {
  const root = fresh();
  const { merged, a, o, path } = mergeOf(root, "overlayfs");
  expect(isMountPoint(path)).toBe(true);
  expect(listing(path)).toEqual(listing(mergeOf(fresh(), "native").path));
  expect(readdirSync(path).sort()).toEqual(["a", "b", "c", "shared", "w", "z"]);
  expect(readdirSync(`${path}/shared`).sort()).toEqual(["b", "o"]);
  // Stacked: a's file is a's own inode; applied on top: o's file is linked from o's upper.
  expect(lstatSync(`${path}/a`).ino).toBe(lstatSync(`${ov(root, "path", a).path}/a`).ino);
  expect(lstatSync(`${path}/shared/o`).ino).toBe(lstatSync(`${root}/snapshots/${o}/fs/shared/o`).ino);
  // Its size counts what it does not share with its inputs: directories and whiteouts.
  expect(ov(root, "info", merged.id).size).toBeLessThan(64 << 10);
  // a's layer, b's and c's, a's and o's, and the diff's two (y is two layers above x).
  expect(ov(root, "export", merged.id).layers.length).toBe(7);
});

/** A record goes behind strata's back; its snapshot and mount stay. */
function forget(root: string, id: string) {
  const sql = `import sqlite3; c = sqlite3.connect("${root}/meta.db"); c.execute("delete from holds where record = '${id}'"); ` +
    `c.execute("delete from parents where child = '${id}'"); c.execute("delete from records where id = '${id}'"); c.commit()`;
  expect(Bun.spawnSync(["python3", "-c", sql]).exitCode).toBe(0);
}

test("a mount no record explains is unmounted at start-up, and check --repair finds and ends one", () => {
  const root = fresh();
  const base = ov(root, "new");
  const b = ov(root, "commit", base.id);
  const child = ov(root, "new", "--parent", b.id);
  forget(root, child.id);
  expect(isMountPoint(child.path)).toBe(true);
  const report = ov(root, "check");
  expect(report.problems.map((x: { problem: string }) => x.problem).sort()).toEqual(["orphan-data", "stale-mount"]);
  expect(ov(root, "check", "--repair").problems.every((x: { repaired: boolean }) => x.repaired)).toBe(true);
  expect(isMountPoint(child.path)).toBe(false);
  expect(ov(root, "check").problems).toEqual([]);
  expect(readdirSync(`${root}/snapshots`)).toEqual([base.id]);
  // Again, left to the next command's start-up: unmounted there; its directory is check's.
  const again = ov(root, "new", "--parent", b.id);
  forget(root, again.id);
  ov(root, "du");
  expect(isMountPoint(again.path)).toBe(false);
  expect(ov(root, "check", "--repair").problems.map((x: { problem: string }) => x.problem)).toEqual(["orphan-data"]);
  expect(readdirSync(`${root}/snapshots`)).toEqual([base.id]);
});

test("check --repair of a parent whose record was lost keeps the child's tree whole", () => {
  const root = fresh();
  const base = ov(root, "new");
  writeFileSync(`${base.path}/from-parent`, "p");
  const parent = ov(root, "commit", base.id);
  const child = ov(root, "commit", ov(root, "new", "--parent", parent.id).id);
  forget(root, parent.id);
  const problems = ov(root, "check", "--repair").problems.map((x: { problem: string }) => x.problem);
  expect([...new Set(problems)].sort()).toEqual(["dangling-parent", "orphan-data"]); // the child and its twin dangle

  expect(ov(root, "info", child.id)).toMatchObject({ kind: "base", parents: [] });
  expect(readFileSync(`${ov(root, "path", child.id).path}/from-parent`, "utf8")).toBe("p");
  expect(ov(root, "check").problems).toEqual([]);
  // With its last child, the kept parent goes too.
  ov(root, "prune", "--all");
  expect(readdirSync(`${root}/snapshots`)).toEqual([]);
});

test("a root keeps its snapshotter: another on --snapshotter is a usage error, STRATA_SNAPSHOTTER only a default", () => {
  const root = fresh();
  ov(root, "new");
  const r = cli(root, "--snapshotter", "native", "du");
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^strata: .* uses the overlayfs snapshotter, and a root keeps the one it was made with.*\n$/);
  expect(cli(root, "--snapshotter", "weird", "du").code).toBe(2);
  expect(ok(root, "du").snapshotter.name).toBe("overlayfs"); // STRATA_SNAPSHOTTER=native here
  expect(ok(root, "--snapshotter", "auto", "du").snapshotter.name).toBe("overlayfs");
  // A damaged record of the choice is an error, never a root taken for native.
  writeFileSync(`${root}/snapshotter.json`, "{");
  const damaged = cli(root, "du");
  expect(damaged.code).toBe(1);
  expect(damaged.stderr).toMatch(/^strata: .*snapshotter.json is damaged.*\n$/);
  writeFileSync(`${root}/snapshotter.json`, JSON.stringify({ name: "overlayfs" }));
});

test("a filesystem that refuses an overlay upper (overlayfs itself): auto falls back and says why; overlayfs says why it cannot", () => {
  const base = `${dir}/ovfs`;
  for (const d of ["lower", "upper", "work", "merged"]) mkdirSync(`${base}/${d}`, { recursive: true });
  sys.mount("overlay", `${base}/merged`, "overlay", 0, `lowerdir=${base}/lower,upperdir=${base}/upper,workdir=${base}/work`);
  const auto = ok(`${base}/merged/auto`, "--snapshotter", "auto", "du").snapshotter;
  expect(auto.name).toBe("native");
  expect(auto.reason).toMatch(/refused an overlay/);
  const strict = cli(`${base}/merged/strict`, "--snapshotter", "overlayfs", "du");
  expect(strict.code).toBe(1);
  expect(strict.stderr).toMatch(/^strata: cannot use the overlayfs snapshotter for .*: the kernel refused an overlay.*\n$/);
});

test("not root: auto falls back to native and says why; overlayfs says why it cannot", () => {
  const home = `${dir}/nobody`;
  mkdirSync(home);
  chmodSync(dir, 0o755);
  chmodSync(home, 0o777);
  const asNobody = (...args: string[]) => Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...cliCommand(), ...args], {
    env: { ...process.env, STRATA_SNAPSHOTTER: "auto", STRATA_ROOT: undefined },
  });
  const auto = asNobody("--root", `${home}/auto`, "--json", "new");
  expect(auto.exitCode).toBe(0);
  const v = JSON.parse(asNobody("--root", `${home}/auto`, "--json", "version").stdout.toString());
  expect(v.snapshotter.name).toBe("native");
  expect(v.snapshotter.reason).toMatch(/needs root/);
  const strict = asNobody("--root", `${home}/strict`, "--snapshotter", "overlayfs", "new");
  expect(strict.exitCode).toBe(1);
  expect(strict.stderr.toString()).toMatch(/^strata: cannot use the overlayfs snapshotter for .*: mounting overlayfs needs root.*\n$/);
});
