/**
 * Layers on overlayfs roots (SPEC §7): an export reads only a child's upper directory and
 * is byte for byte the native root's export of the same trees; an import writes a fresh
 * upper with overlayfs whiteouts and gives the tree GNU tar and a native root give; a
 * hostile layer imported on a parent writes nothing outside the snapshot.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import {
  chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync,
  utimesSync, writeFileSync,
} from "node:fs";
import { sys } from "../../src/runtime/bun/sys.ts";
import { cleanup, cli, ok, tempDir } from "../helpers/env.ts";
import { craftTar, gnuTar } from "../helpers/tars.ts";

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => cleanup(dir));

const on = (snapshotter: string) => (root: string, ...args: string[]) => ok(root, "--snapshotter", snapshotter, ...args);
const overlay = on("overlayfs");
const native = on("native");

/** Every entry with type, mode, size, content digest, link target, mtime (ns) and xattrs. */
function manifest(at: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(rel ? `${at}/${rel}` : at).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = `${at}/${r}`;
      const st = lstatSync(p, { bigint: true });
      const x = st.isSymbolicLink() ? "" : sys.listxattr(p).sort().join(",");
      const what = st.isSymbolicLink() ? readlinkSync(p) : st.isFile() ? readFileSync(p, "latin1") : "";
      out.push(`${r} ${(st.mode).toString(8)} ${st.uid}:${st.gid} ${st.isDirectory() ? "" : st.mtimeNs} ${x} ${what}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk("");
  return out;
}

const T = 1_700_000_000;
/** The same base tree, then the same changes in a child, on a root of each kind: returns the child's record. */
function build(as: typeof overlay, root: string) {
  const base = as(root, "new");
  mkdirSync(`${base.path}/d/sub`, { recursive: true });
  mkdirSync(`${base.path}/gone-dir/deep`, { recursive: true });
  mkdirSync(`${base.path}/replaced/old`, { recursive: true });
  for (const f of ["d/a", "d/b", "d/sub/c", "gone", "gone-dir/deep/x", "replaced/old/y", "replaced/z", "modes", "to-dir"]) {
    writeFileSync(`${base.path}/${f}`, `base ${f}\n`);
  }
  mkdirSync(`${base.path}/to-file`);
  writeFileSync(`${base.path}/to-file/inner`, "x");
  symlinkSync("d/a", `${base.path}/link`);
  sys.setxattr(`${base.path}/d/b`, "user.k", new TextEncoder().encode("v"));
  execFileSync("sh", ["-c", `find ${base.path} -exec touch -h -d @${T} {} +`]);
  const committed = as(root, "commit", base.id);
  const child = as(root, "new", "--parent", committed.id);
  const c = child.path;
  writeFileSync(`${c}/d/a`, "changed\n");
  writeFileSync(`${c}/d/new`, "new\n");
  linkSync(`${c}/d/new`, `${c}/d/new-link`);
  rmSync(`${c}/gone`);
  rmSync(`${c}/gone-dir`, { recursive: true });
  rmSync(`${c}/replaced`, { recursive: true }); // then made again: opaque on overlayfs
  mkdirSync(`${c}/replaced/old`, { recursive: true });
  writeFileSync(`${c}/replaced/old/y`, "base replaced/old/y\n"); // as it was, but a new file
  writeFileSync(`${c}/replaced/fresh`, "fresh\n");
  chmodSync(`${c}/modes`, 0o600);
  rmSync(`${c}/to-dir`);
  mkdirSync(`${c}/to-dir`);
  writeFileSync(`${c}/to-dir/in`, "in\n");
  rmSync(`${c}/to-file`, { recursive: true });
  writeFileSync(`${c}/to-file`, "now a file\n");
  rmSync(`${c}/link`);
  symlinkSync("d/b", `${c}/link`);
  sys.setxattr(`${c}/d/sub/c`, "user.k", new TextEncoder().encode("w")); // an xattr alone changed
  execFileSync("sh", ["-c", `find ${c} -newermt @${T + 1} -exec touch -h -d @${T + 100} {} + ; touch -h -d @${T + 100} ${c}/modes ${c}/d/sub/c ${c}/d/sub`]);
  return as(root, "commit", child.id);
}

test("an overlay root's export of a child is byte for byte the native root's, read from the upper alone", () => {
  const [o, n] = [`${dir}/overlay`, `${dir}/native`];
  const oc = build(overlay, o);
  const nc = build(native, n);
  expect(manifest(ok(o, "path", oc.id).path)).toEqual(manifest(ok(n, "path", nc.id).path));
  for (const compression of ["uncompressed", "gzip", "zstd"]) {
    const oe = ok(o, "export", oc.id, "--compression", compression);
    const ne = ok(n, "export", nc.id, "--compression", compression);
    expect(oe.layers).toEqual(ne.layers);
  }
  const layer = ok(o, "export", oc.id, "--compression", "uncompressed").layers[1].digest.slice(7);
  const listing = execFileSync("tar", ["-tf", `${o}/content/blobs/sha256/${layer}`]).toString().split("\n");
  expect(listing).toContain("replaced/.wh.z"); // per entry in a replaced directory, as the two-tree walk has them
  expect(listing).toContain(".wh.gone");
  expect(listing.filter((l) => l.includes(".wh..wh..opq"))).toEqual([]);
});

test("a layer imported on a parent lands in a fresh upper and gives the tree a native root and GNU tar give", () => {
  const [o, n] = [`${dir}/overlay`, `${dir}/native`];
  const out = `${dir}/layout`;
  ok(n, "export", build(native, n).id, "--output", out, "--tag", "t");
  const [oi, ni] = [overlay(o, "import", `oci:${out}:t`), native(`${dir}/native2`, "import", `oci:${out}:t`)];
  expect(oi.chainID).toBe(ni.chainID);
  const tree = ok(o, "path", oi.id).path;
  expect(manifest(tree)).toEqual(manifest(ok(`${dir}/native2`, "path", ni.id).path));
  // The upper holds the layer's changes: whiteouts for deletions, nothing unchanged.
  const upper = tree.replace(/\/merged$/, "/fs");
  expect(lstatSync(`${upper}/gone`).isCharacterDevice()).toBe(true);
  expect(existsSync(`${upper}/d/sub/c`)).toBe(true);
  expect(existsSync(`${upper}/d/b`)).toBe(false);
  // Exported again from the overlay root: the same blobs.
  const again = ok(o, "export", oi.id, "--compression", "gzip");
  expect(again.chainID).toBe(ni.chainID);
});

test("OCI whiteouts and opaque directories from GNU tar become overlay whiteouts in the upper", () => {
  const root = `${dir}/root`;
  mkdirSync(`${dir}/base/keep`, { recursive: true });
  mkdirSync(`${dir}/base/opaque/old`, { recursive: true });
  writeFileSync(`${dir}/base/keep/gone`, "x");
  writeFileSync(`${dir}/base/keep/a`, "a");
  writeFileSync(`${dir}/base/opaque/old/f`, "old");
  writeFileSync(`${dir}/base/top`, "top");
  mkdirSync(`${dir}/up/keep`, { recursive: true });
  mkdirSync(`${dir}/up/opaque`, { recursive: true });
  writeFileSync(`${dir}/up/keep/.wh.gone`, "");
  writeFileSync(`${dir}/up/opaque/.wh..wh..opq`, "");
  writeFileSync(`${dir}/up/opaque/new`, "new");
  writeFileSync(`${dir}/up/.wh..wh..opq`, ""); // an opaque root: the kernel ignores the xattr there
  writeFileSync(`${dir}/up/fresh`, "fresh");
  gnuTar(`${dir}/base`, `${dir}/base.tgz`);
  gnuTar(`${dir}/up`, `${dir}/up.tgz`);
  const base = overlay(root, "import", `${dir}/base.tgz`);
  const up = overlay(root, "import", `${dir}/up.tgz`, "--parent", base.id);
  const p = ok(root, "path", up.id).path;
  expect(readdirSync(p).sort()).toEqual(["fresh", "keep", "opaque"]);
  expect(readdirSync(`${p}/keep`)).toEqual([]);
  expect(readdirSync(`${p}/opaque`)).toEqual(["new"]);
  expect(lstatSync(`${p.replace(/merged$/, "fs")}/top`).isCharacterDevice()).toBe(true);
  expect(readdirSync(`${ok(root, "path", base.id).path}/opaque`)).toEqual(["old"]);
});

test("hostile layers on a parent in an overlay root: writes through lower symlinks contained, links to lower files copied up, overlay xattrs dropped", () => {
  const root = `${dir}/root`;
  const outside = `${dir}/outside`;
  mkdirSync(outside);
  writeFileSync(`${outside}/precious`, "keep me");
  craftTar(`${dir}/base`, [{ name: "lib", type: "symlink", link: outside }, { name: "etc", type: "dir" }, { name: "etc/passwd", data: "root" }]);
  const base = overlay(root, "import", `${dir}/base`);
  craftTar(`${dir}/l1`, [{ name: "lib/pwned", data: "pwned" }, { name: "hl", type: "hardlink", link: "etc/passwd" }]);
  const up = overlay(root, "import", `${dir}/l1`, "--parent", base.id);
  const p = ok(root, "path", up.id).path;
  expect(readFileSync(`${p}${outside}/pwned`, "utf8")).toBe("pwned");
  expect(lstatSync(`${p}/hl`).ino).toBe(lstatSync(`${p}/etc/passwd`).ino);
  expect(readFileSync(`${p}/hl`, "utf8")).toBe("root");
  // The lower layer is untouched; its file was copied up.
  expect(lstatSync(`${ok(root, "path", base.id).path}/etc/passwd`).nlink).toBe(1);
  for (const [name, entries] of [
    ["climb", [{ name: "../outside/x", data: "pwned" }]],
    ["link-out", [{ name: "hl2", type: "hardlink", link: "../../outside/precious" }]],
    ["link-abs", [{ name: "hl3", type: "hardlink", link: `${outside}/precious` }]],
    ["wh-climb", [{ name: "../outside/.wh.precious" }]],
  ] as const) {
    craftTar(`${dir}/${name}`, [...entries]);
    const r = cli(root, "--snapshotter", "overlayfs", "import", `${dir}/${name}`, "--parent", base.id);
    expect({ name, code: r.code }).toEqual({ name, code: 8 });
  }
  // A layer that sets overlayfs' own xattrs: dropped, so it cannot hide or redirect anything.
  execFileSync("python3", ["-c", `
import tarfile, io
with tarfile.open("${dir}/xattr.tar", "w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("etc"); i.type = tarfile.DIRTYPE; i.mode = 0o755
    i.pax_headers = {"SCHILY.xattr.trusted.overlay.opaque": "y", "SCHILY.xattr.user.kept": "1"}
    t.addfile(i)
`]);
  const x = overlay(root, "import", `${dir}/xattr.tar`, "--parent", base.id);
  const xp = ok(root, "path", x.id).path;
  expect(readdirSync(`${xp}/etc`)).toEqual(["passwd"]);
  expect(sys.listxattr(`${xp.replace(/merged$/, "fs")}/etc`)).toEqual(["user.kept"]);
  expect(readdirSync(outside)).toEqual(["precious"]);
  expect(readFileSync(`${outside}/precious`, "utf8")).toBe("keep me");
  expect(readdirSync(`${root}/trash`)).toEqual([]);
});

test("a hardlink to a symlink, a fifo or a device below is copied up as that node, never as what a symlink names", () => {
  const root = `${dir}/root`;
  writeFileSync(`${dir}/secret`, "host secret");
  craftTar(`${dir}/base`, [{ name: "evil", type: "symlink", link: `${dir}/secret` }]);
  execFileSync("python3", ["-c", `
import tarfile
with tarfile.open("${dir}/nodes.tar", "w") as t:
    for name, kind in (("fifo", tarfile.FIFOTYPE), ("null", tarfile.CHRTYPE)):
        i = tarfile.TarInfo(name); i.type = kind; i.mode = 0o640
        if kind == tarfile.CHRTYPE: i.devmajor, i.devminor = 1, 3
        t.addfile(i)
`]);
  const base = overlay(root, "import", `${dir}/base`);
  const nodes = overlay(root, "import", `${dir}/nodes.tar`, "--parent", base.id);
  craftTar(`${dir}/links`, [
    { name: "h", type: "hardlink", link: "evil" }, { name: "f", type: "hardlink", link: "fifo" }, { name: "n", type: "hardlink", link: "null" },
  ]);
  const up = overlay(root, "import", `${dir}/links`, "--parent", nodes.id);
  const upper = ok(root, "path", up.id).path.replace(/merged$/, "fs");
  expect(lstatSync(`${upper}/h`).isSymbolicLink()).toBe(true);
  expect(readlinkSync(`${upper}/h`)).toBe(`${dir}/secret`);
  expect(lstatSync(`${upper}/f`).isFIFO()).toBe(true);
  expect(lstatSync(`${upper}/n`).isCharacterDevice()).toBe(true);
  expect(lstatSync(`${upper}/n`).rdev).toBe(lstatSync("/dev/null").rdev);
  expect(lstatSync(`${upper}/n`).mode & 0o7777).toBe(0o640);
});
