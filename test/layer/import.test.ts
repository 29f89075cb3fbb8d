/** Import and export against GNU tar, umoci and skopeo (SPEC §3.6–8). */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync,
} from "node:fs";
import { sys } from "../../src/runtime/bun/sys.ts";
import { cleanup, cli, ok, tempDir } from "../helpers/env.ts";
import { craftTar, gnuTar, sha256 } from "../helpers/tars.ts";

let dir: string;
let root: string;
beforeEach(() => {
  dir = tempDir();
  root = `${dir}/root`;
});
afterEach(() => cleanup(dir));

/** A tree with the awkward parts: long and unicode names, links, xattrs, a fifo, odd modes. */
function awkwardTree(at: string) {
  mkdirSync(`${at}/dir/sub`, { recursive: true });
  writeFileSync(`${at}/dir/a`, "hello\n");
  linkSync(`${at}/dir/a`, `${at}/dir/hard`);
  symlinkSync("a", `${at}/dir/link`);
  symlinkSync("../../../../etc/passwd", `${at}/dir/climbing-link`);
  const long = `${"deep/".repeat(30)}${"n".repeat(120)}`;
  mkdirSync(`${at}/${long.slice(0, long.lastIndexOf("/"))}`, { recursive: true });
  writeFileSync(`${at}/${long}`, "long name");
  mkdirSync(`${at}/ünïcödé ✓`);
  writeFileSync(`${at}/ünïcödé ✓/fïlé`, "unicode");
  writeFileSync(`${at}/exec`, "#!/bin/sh\n", { mode: 0o755 });
  sys.setxattr(`${at}/dir/a`, "user.origin", new TextEncoder().encode("strata"));
  sys.mknod(`${at}/fifo`, 0o010600, 0n);
  sys.utimens(`${at}/dir/a`, 1_600_000_000_000_000_000n, 1_600_000_000_123_456_789n);
}

/**
 * On overlayfs a file reports its layer's link count, and writing one name of a
 * hardlinked pair copies that name up alone (overlayfs breaks hardlinks on copy-up):
 * link counts are compared on native roots only.
 */
const overlay = process.env.STRATA_SNAPSHOTTER === "overlayfs";

/** Every entry with type, mode, size, link target, mtime (seconds) and xattrs: what must survive. */
function manifest(at: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(rel ? `${at}/${rel}` : at).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(`${at}/${r}`);
      const kind = st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : st.isFIFO() ? "p" : "f";
      let x = "";
      try {
        x = kind === "l" ? "" : sys.listxattr(`${at}/${r}`).map((n) => `${n}=${new TextDecoder().decode(sys.getxattr(`${at}/${r}`, n))}`).join(",");
      } catch { /* none */ }
      out.push(`${r} ${kind} ${(st.mode & 0o7777).toString(8)} ${kind === "f" ? st.size : ""} ${kind !== "d" ? Math.floor(st.mtimeMs / 1000) : ""} ${x} ${kind === "f" && !overlay ? st.nlink : ""}`);
      if (kind === "d") walk(r);
    }
  };
  walk("");
  return out;
}

test("a layer made by GNU tar imports to exactly the tree GNU tar extracts", () => {
  awkwardTree(`${dir}/src`);
  for (const [compression, format] of [["gzip", "pax"], ["zstd", "pax"], ["none", "gnu"]] as const) {
    gnuTar(`${dir}/src`, `${dir}/layer.${compression}`, compression, format);
    const rec = ok(root, "import", `${dir}/layer.${compression}`);
    expect(rec.blob.mediaType).toBe(`application/vnd.oci.image.layer.v1.tar${compression === "none" ? "" : `+${compression}`}`);
    const ref = `${dir}/gnu-${compression}`;
    mkdirSync(ref);
    execFileSync("tar", ["--xattrs", "--xattrs-include=*", "-xf", `${dir}/layer.${compression}`, "-C", ref]);
    expect(manifest(ok(root, "path", rec.id).path)).toEqual(manifest(ref));
    // PAX keeps nanoseconds; GNU's own format has whole seconds.
    const mtime = lstatSync(`${ok(root, "path", rec.id).path}/dir/a`, { bigint: true }).mtimeNs;
    expect(mtime).toBe(format === "pax" ? 1_600_000_000_123_456_789n : 1_600_000_000_000_000_000n);
  }
});

test("a layer of many files, finished and hashed on a helper thread, imports exactly as GNU tar extracts it (gzip, zstd)", () => {
  awkwardTree(`${dir}/src`);
  for (let d = 0; d < 10; d++) {
    mkdirSync(`${dir}/src/many/d${d}`, { recursive: true });
    for (let f = 0; f < 60; f++) {
      const p = `${dir}/src/many/d${d}/f${f}`;
      // A few files of several MiB span the thread's 1 MiB batches.
      writeFileSync(p, f === 7 ? new Uint8Array((3 << 20) + d).fill(d + f) : `${d}/${f} `.repeat(f * 37 + 1));
      chmodSync(p, [0o644, 0o600, 0o755, 0o4755][f % 4]!);
      if (f % 9 === 0) sys.setxattr(p, "user.n", new TextEncoder().encode(`${d}.${f}`));
      // Some before 1970, with a fraction of a second: the early files are finished here, the later on the thread.
      sys.utimens(p, 0n, f === 11 ? -1_500_000_001n - BigInt(d) : 1_600_000_000_000_000_000n + BigInt(d * 1_000_003 + f));
    }
    linkSync(`${dir}/src/many/d${d}/f3`, `${dir}/src/many/d${d}/link`);
  }
  const ref = `${dir}/ref`;
  mkdirSync(ref);
  // zstd's output goes straight into the thread's buffers (libzstd), gzip's is copied there.
  for (const [compression, cat] of [["gzip", "gzip -dc"], ["zstd", "zstd -dc"]] as const) {
    const layer = `${dir}/many.${compression}`;
    gnuTar(`${dir}/src`, layer, compression);
    const r = `${dir}/root-${compression}`;
    const rec = ok(r, "import", layer);
    const diffID = `sha256:${execFileSync("sh", ["-c", `${cat} ${layer} | sha256sum`]).toString().split(" ")[0]}`;
    expect(rec.blob.diffID).toBe(diffID);
    const got = ok(r, "path", rec.id).path;
    if (compression === "gzip") execFileSync("tar", ["--xattrs", "--xattrs-include=*", "-xf", layer, "-C", ref]);
    expect(manifest(got)).toEqual(manifest(ref));
    for (let d = 0; d < 10; d++) {
      for (const f of readdirSync(`${ref}/many/d${d}`)) {
        const [a, b] = [`${got}/many/d${d}/${f}`, `${ref}/many/d${d}/${f}`];
        expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
        expect(lstatSync(a, { bigint: true }).mtimeNs).toBe(lstatSync(b, { bigint: true }).mtimeNs);
      }
    }
    execFileSync("sync");
    expect(rec.size).toBe(Number(execFileSync("du", ["-s", "-B1", got]).toString().split("\t")[0]));
  }
});

test("without libzstd, zstd layers import and export through node:zlib: the same tree, the same diffIDs", () => {
  awkwardTree(`${dir}/src`);
  writeFileSync(`${dir}/src/big`, randomBytes(5 << 20)); // past the 4 MiB where export's helper thread starts
  gnuTar(`${dir}/src`, `${dir}/l.zst`, "zstd");
  const plain = (env: Record<string, string | undefined>, r: string) => {
    const run = (...args: string[]) => {
      const p = Bun.spawnSync([...cliCmd(), "--root", r, "--json", ...args], { env: { ...process.env, ...env } });
      if (p.exitCode !== 0) throw new Error(p.stderr.toString());
      return JSON.parse(p.stdout.toString());
    };
    const rec = run("import", `${dir}/l.zst`);
    const m = run("new", "--parent", rec.id);
    writeFileSync(`${m.path}/added`, "x");
    for (const p of [`${m.path}/added`, m.path]) utimesSync(p, 1_700_000_000, 1_700_000_000); // the same tar in both roots
    const c = run("commit", m.id);
    const layer = run("export", c.id, "--compression", "zstd").layers[1];
    const blob = `${r}/content/blobs/sha256/${layer.digest.slice("sha256:".length)}`;
    const tar = `sha256:${execFileSync("sh", ["-c", `zstd -dc ${blob} | sha256sum`]).toString().split(" ")[0]}`;
    return { diffID: rec.blob.diffID, tree: manifest(run("path", rec.id).path), exported: layer.diffID, tar };
  };
  const native = plain({}, `${dir}/native`);
  const zlib = plain({ STRATA_NO_LIBZSTD: "1" }, `${dir}/zlib`);
  expect(zlib).toEqual(native);
  expect(native.tar).toBe(native.exported);
});

test("without the system's zlib, gzip layers import through node:zlib: the same tree, the same diffID", () => {
  awkwardTree(`${dir}/src`);
  writeFileSync(`${dir}/src/big`, randomBytes(5 << 20)); // past the 4 MiB where extraction's helper thread starts
  gnuTar(`${dir}/src`, `${dir}/l.tgz`, "gzip");
  const imported = (env: Record<string, string | undefined>, r: string) => {
    const p = Bun.spawnSync([...cliCmd(), "--root", r, "--json", "import", `${dir}/l.tgz`], { env: { ...process.env, ...env } });
    if (p.exitCode !== 0) throw new Error(p.stderr.toString());
    const rec = JSON.parse(p.stdout.toString());
    return { diffID: rec.blob.diffID, tree: manifest(ok(r, "path", rec.id).path) };
  };
  const native = imported({}, `${dir}/native`);
  expect(imported({ STRATA_NO_LIBZ: "1" }, `${dir}/zlib`)).toEqual(native);
  expect(native.diffID).toBe(`sha256:${execFileSync("sh", ["-c", `gzip -dc ${dir}/l.tgz | sha256sum`]).toString().split(" ")[0]}`);
  // Which reader ran shows in a damaged layer's message: the system's zlib names itself.
  const bytes = readFileSync(`${dir}/l.tgz`);
  for (let i = 2000; i < bytes.length - 10; i += 997) bytes[i] = bytes[i]! ^ 0xff;
  writeFileSync(`${dir}/bad.tgz`, bytes);
  const failure = (env: Record<string, string | undefined>) =>
    Bun.spawnSync([...cliCmd(), "--root", `${dir}/bad`, "import", `${dir}/bad.tgz`], { env: { ...process.env, ...env } }).stderr.toString();
  expect(failure({})).toMatch(/^strata: corrupt layer: zlib: .+\n$/);
  expect(failure({ STRATA_NO_LIBZ: "1" })).toMatch(/^strata: corrupt layer: (?!zlib: ).+\n$/);
});

test("digest, diffID, chainID and blobChainID match values computed independently", () => {
  mkdirSync(`${dir}/a`);
  writeFileSync(`${dir}/a/one`, "1");
  mkdirSync(`${dir}/b`);
  writeFileSync(`${dir}/b/two`, "2");
  gnuTar(`${dir}/a`, `${dir}/a.tar`, "none");
  gnuTar(`${dir}/b`, `${dir}/b.tgz`, "gzip");
  const fileSha = (f: string) => `sha256:${execFileSync("sha256sum", [f]).toString().split(" ")[0]}`;
  const diffB = `sha256:${execFileSync("sh", ["-c", `gzip -dc ${dir}/b.tgz | sha256sum`]).toString().split(" ")[0]}`;
  const a = ok(root, "import", `${dir}/a.tar`);
  const b = ok(root, "import", `${dir}/b.tgz`, "--parent", a.id);
  expect(a.blob).toMatchObject({ digest: fileSha(`${dir}/a.tar`), diffID: fileSha(`${dir}/a.tar`) });
  expect(a.chainID).toBe(a.blob.diffID);
  expect(a.blobChainID).toBe(sha256(`${a.blob.digest} ${a.blob.diffID}`));
  expect(b.blob).toMatchObject({ digest: fileSha(`${dir}/b.tgz`), diffID: diffB });
  expect(b.chainID).toBe(sha256(`${a.chainID} ${diffB}`));
  expect(b.blobChainID).toBe(sha256(`${a.blobChainID} ${sha256(`${b.blob.digest} ${diffB}`)}`));
  expect(b).toMatchObject({ kind: "layer", parents: [a.id] });
});

describe("dedupe", () => {
  test("the same blob chain gives the same record; another compression shares the snapshot", () => {
    mkdirSync(`${dir}/t`);
    writeFileSync(`${dir}/t/f`, "content");
    gnuTar(`${dir}/t`, `${dir}/t.tar`, "none");
    execFileSync("sh", ["-c", `gzip -c ${dir}/t.tar > ${dir}/t.tgz && zstd -q -c ${dir}/t.tar > ${dir}/t.zst`]);
    const first = ok(root, "import", `${dir}/t.tgz`);
    expect(ok(root, "import", `${dir}/t.tgz`).id).toBe(first.id);
    const viaStdin = Bun.spawnSync([...cliCmd(), "--root", root, "--json", "import", "-"], { stdin: Bun.file(`${dir}/t.tgz`) });
    expect(JSON.parse(viaStdin.stdout.toString()).id).toBe(first.id);
    const zst = ok(root, "import", `${dir}/t.zst`);
    expect(zst.id).not.toBe(first.id);
    expect(zst.chainID).toBe(first.chainID);
    expect(zst.blobChainID).not.toBe(first.blobChainID);
    expect(ok(root, "path", zst.id).path).toBe(ok(root, "path", first.id).path);
    expect(readdirSync(`${root}/snapshots`)).toHaveLength(1);
  });

  test("du counts a snapshot two records share once, and both say so", () => {
    mkdirSync(`${dir}/t`);
    writeFileSync(`${dir}/t/f`, "x".repeat(50_000));
    gnuTar(`${dir}/t`, `${dir}/t.tar`, "none");
    execFileSync("sh", ["-c", `gzip -c ${dir}/t.tar > ${dir}/t.tgz && zstd -q -c ${dir}/t.tar > ${dir}/t.zst`]);
    const gz = ok(root, "import", `${dir}/t.tgz`);
    const zst = ok(root, "import", `${dir}/t.zst`);
    const du = ok(root, "du");
    const byId = new Map(du.records.map((r: { id: string }) => [r.id, r]));
    const [a, b] = [byId.get(gz.id) as any, byId.get(zst.id) as any];
    expect(a.size).toBeGreaterThanOrEqual(50_000);
    expect(b.size).toBe(0);
    expect(a.sharesSnapshotWith).toEqual([zst.id]);
    expect(b.sharesSnapshotWith).toEqual([gz.id]);
    expect(du.totals.total).toBe(a.size);
    expect(ok(root, "info", zst.id)).toMatchObject({ size: 0, sharesSnapshotWith: [gz.id] });
    expect(cli(root, "info", zst.id).stdout).toMatch(new RegExp(`^Shares tree:\\s+with ${gz.id} \\(its size counts there\\)$`, "m"));
    // Without a sharer, the size is its own again.
    ok(root, "prune", "--all", "--filter", `id==${gz.id}`);
    expect(ok(root, "info", zst.id).size).toBe(a.size);
    expect(ok(root, "info", zst.id).sharesSnapshotWith).toBeUndefined();
  });
});

describe("lazy records", () => {
  test("are recorded without extracting, extracted when first needed", () => {
    mkdirSync(`${dir}/t`);
    writeFileSync(`${dir}/t/f`, "lazy");
    gnuTar(`${dir}/t`, `${dir}/t.tgz`);
    const rec = ok(root, "import", "--lazy", `${dir}/t.tgz`);
    expect(rec).toMatchObject({ lazy: true, size: 0 });
    expect(readdirSync(`${root}/snapshots`)).toEqual([]);
    const child = ok(root, "new", "--parent", rec.id);
    expect(Bun.file(`${child.path}/f`).size).toBe(4);
    expect(ok(root, "info", rec.id).lazy).toBe(false);
  });

  test("whose blob is gone fail with missing blob (exit 6) and stay lazy", () => {
    mkdirSync(`${dir}/t`);
    writeFileSync(`${dir}/t/f`, "gone");
    gnuTar(`${dir}/t`, `${dir}/t.tgz`);
    const rec = ok(root, "import", "--lazy", `${dir}/t.tgz`);
    rmSync(`${root}/content/blobs/sha256/${rec.blob.digest.slice(7)}`);
    const r = cli(root, "path", rec.id);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^strata: .*not in the content store\n$/);
    expect(ok(root, "info", rec.id).lazy).toBe(true);
    expect(readdirSync(`${root}/snapshots`)).toEqual([]);
  });
});

test("OCI whiteouts from a GNU tar layer: deleted files and opaque directories", () => {
  mkdirSync(`${dir}/base/keep`, { recursive: true });
  mkdirSync(`${dir}/base/opaque/old`, { recursive: true });
  writeFileSync(`${dir}/base/keep/a`, "a");
  writeFileSync(`${dir}/base/keep/gone`, "x");
  writeFileSync(`${dir}/base/opaque/old/f`, "old");
  writeFileSync(`${dir}/base/opaque/old2`, "old");
  mkdirSync(`${dir}/up/keep`, { recursive: true });
  mkdirSync(`${dir}/up/opaque`, { recursive: true });
  writeFileSync(`${dir}/up/keep/.wh.gone`, "");
  writeFileSync(`${dir}/up/opaque/.wh..wh..opq`, "");
  writeFileSync(`${dir}/up/opaque/new`, "new");
  gnuTar(`${dir}/base`, `${dir}/base.tgz`);
  gnuTar(`${dir}/up`, `${dir}/up.tgz`);
  const base = ok(root, "import", `${dir}/base.tgz`);
  const up = ok(root, "import", `${dir}/up.tgz`, "--parent", base.id);
  const p = ok(root, "path", up.id).path;
  expect(readdirSync(`${p}/keep`).sort()).toEqual(["a"]);
  expect(readdirSync(`${p}/opaque`).sort()).toEqual(["new"]);
  // The parent's snapshot is untouched.
  expect(readdirSync(`${ok(root, "path", base.id).path}/opaque`).sort()).toEqual(["old", "old2"]);
});

test("an imported record's size is its tree's disk usage as `du` counts it, hardlinks once", () => {
  const du = (path: string) => {
    execFileSync("sync");
    return Number(execFileSync("du", ["-s", "-B1", path]).toString().split("\t")[0]);
  };
  awkwardTree(`${dir}/src`);
  writeFileSync(`${dir}/src/big`, new Uint8Array(3 << 20).fill(7));
  writeFileSync(`${dir}/src/dir/sub/long-link-target`, "");
  symlinkSync("x".repeat(200), `${dir}/src/dir/long-symlink`);
  gnuTar(`${dir}/src`, `${dir}/base.tgz`);
  // Parents only implied by the names, no directory entries: they are made and counted too.
  craftTar(`${dir}/implied.tar`, [{ name: "a/b/c/file", data: "x".repeat(5000) }, { name: "a/b/other", data: "y" }]);
  for (const layer of ["base.tgz", "implied.tar"]) {
    const rec = ok(root, "import", `${dir}/${layer}`);
    expect(rec.size).toBe(du(ok(root, "path", rec.id).path));
  }
  // On a parent, with a whiteout: measured by walking the tree.
  mkdirSync(`${dir}/up`);
  writeFileSync(`${dir}/up/.wh.big`, "");
  writeFileSync(`${dir}/up/new`, "new");
  gnuTar(`${dir}/up`, `${dir}/up.tgz`);
  const base = ok(root, "import", `${dir}/base.tgz`);
  const up = ok(root, "import", `${dir}/up.tgz`, "--parent", base.id);
  // On overlayfs a child's size is its own upper directory's (SPEC §7), beside its tree.
  const own = (path: string) => (overlay ? path.replace(/\/merged$/, "/fs") : path);
  expect(up.size).toBe(du(own(ok(root, "path", up.id).path)));
  expect(up.size).toBeLessThan(base.size - (2 << 20));
});

describe("export", () => {
  test("reads a record's files without touching their atimes, also when it may not ask for that", () => {
    // An atime before the mtime is one the kernel (relatime) sets again on the next read.
    const old = 1_000_000_000;
    const record = () => {
      const m = ok(root, "new");
      for (let i = 0; i < 3; i++) {
        writeFileSync(`${m.path}/f${i}`, `file ${i}\n`.repeat(1000));
        utimesSync(`${m.path}/f${i}`, old, 1_600_000_000);
      }
      return { path: m.path, id: ok(root, "commit", m.id).id };
    };
    const atimes = (path: string) => [0, 1, 2].map((i) => lstatSync(`${path}/f${i}`).atimeMs / 1000);
    const mine = record();
    ok(root, "export", mine.id, "--compression", "gzip");
    expect(atimes(mine.path)).toEqual([old, old, old]);
    // Not the files' owner: O_NOATIME is refused (EPERM) and files open as usual.
    const theirs = record();
    chmodSync(dir, 0o755);
    execFileSync("chown", ["-R", "nobody", root]);
    execFileSync("chown", ["-R", "root", theirs.path]);
    const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...cliCmd(), "--root", root, "--json", "export", theirs.id]);
    expect(r.stderr.toString()).toBe("");
    const layer = JSON.parse(r.stdout.toString()).layers[0];
    const tar = execFileSync("sh", ["-c", `gzip -dc ${root}/content/blobs/sha256/${layer.digest.slice(7)} | tar -tf -`]).toString();
    expect(tar.split("\n").filter((l) => l.startsWith("f")).sort()).toEqual(["f0", "f1", "f2"]);
    expect(Math.min(...atimes(theirs.path))).toBeGreaterThan(old);
  });

  test("round trip: an exported layout unpacks with umoci and GNU tar to the tree strata shows, and imports back as the same chain", () => {
    awkwardTree(`${dir}/src`);
    gnuTar(`${dir}/src`, `${dir}/base.tgz`);
    const base = ok(root, "import", `${dir}/base.tgz`);
    const m = ok(root, "new", "--parent", base.id);
    writeFileSync(`${m.path}/dir/a`, "changed\n");
    rmSync(`${m.path}/dir/link`);
    rmSync(`${m.path}/ünïcödé ✓`, { recursive: true });
    mkdirSync(`${m.path}/added/deeper`, { recursive: true });
    writeFileSync(`${m.path}/added/deeper/file`, "new");
    rmSync(`${m.path}/exec`);
    mkdirSync(`${m.path}/exec`); // a file replaced by a directory
    writeFileSync(`${m.path}/exec/inside`, "x");
    const top = ok(root, "commit", m.id);
    const out = ok(root, "export", top.id, "--output", `${dir}/oci`, "--tag", "v1");
    expect(out.layers).toHaveLength(2);
    expect(out.layers[0].digest).toBe(base.blob.digest);
    expect(out.manifest.annotations["org.opencontainers.image.ref.name"]).toBe("v1");

    const strataTree = manifest(ok(root, "path", top.id).path);
    execFileSync("umoci", ["unpack", "--image", `${dir}/oci:v1`, `${dir}/bundle`], { stdio: "pipe" });
    expect(manifest(`${dir}/bundle/rootfs`)).toEqual(strataTree);

    const inspect = JSON.parse(execFileSync("skopeo", ["inspect", `oci:${dir}/oci:v1`]).toString());
    expect(inspect.Layers).toEqual(out.layers.map((l: { digest: string }) => l.digest));

    // GNU tar applying both layers by hand (whiteouts aside) agrees on what the layer holds.
    const listing = execFileSync("tar", ["-tzf", `${dir}/oci/blobs/sha256/${out.layers[1].digest.slice(7)}`]).toString().split("\n");
    expect(listing).toContain("dir/.wh.link");
    expect(listing).toContain(".wh.ünïcödé ✓");
    expect(listing).toContain("added/deeper/file");

    const other = `${dir}/root2`;
    const back = ok(other, "import", `oci:${dir}/oci:v1`);
    expect(back.chainID).toBe(out.chainID);
    expect(manifest(ok(other, "path", back.id).path)).toEqual(strataTree);
  });

  test("is reproducible, and other compressions become linked variants", () => {
    awkwardTree(`${dir}/src`);
    gnuTar(`${dir}/src`, `${dir}/base.tgz`);
    const m = ok(root, "new");
    execFileSync("tar", ["-xzf", `${dir}/base.tgz`, "-C", m.path]);
    const c = ok(root, "commit", m.id);
    const gz = ok(root, "export", c.id, "--compression", "gzip");
    expect(ok(root, "export", c.id, "--compression", "gzip")).toEqual(gz);
    const zst = ok(root, "export", c.id, "--compression", "zstd");
    const raw = ok(root, "export", c.id, "--compression", "uncompressed");
    expect(zst.layers[0].diffID).toBe(gz.layers[0].diffID);
    expect(raw.layers[0].digest).toBe(gz.layers[0].diffID);
    expect(zst.chainID).toBe(gz.chainID);
    expect(ok(root, "info", c.id).blob.digest).toBe(gz.layers[0].digest);
    const du = ok(root, "du");
    expect(du.totals.content).toBeGreaterThan(gz.layers[0].size);
  });

  test("a variant made from a damaged blob is an integrity error, and nothing is stored; it is read natively", () => {
    mkdirSync(`${dir}/src`);
    writeFileSync(`${dir}/src/f`, randomBytes(300_000));
    // The message names the native library that read the blob (node:zlib's do not start so).
    for (const [from, to, reader] of [["zstd", "gzip", "zstd"], ["gzip", "zstd", "zlib"]] as const) {
      const r0 = `${dir}/root-${from}`;
      gnuTar(`${dir}/src`, `${dir}/l.${from}`, from);
      const rec = ok(r0, "import", `${dir}/l.${from}`);
      const blob = `${r0}/content/blobs/sha256/${rec.blob.digest.slice(7)}`;
      const bytes = readFileSync(blob);
      for (let i = 1000; i < bytes.length - 10; i += 997) bytes[i] = bytes[i]! ^ 0xff;
      writeFileSync(blob, bytes);
      const r = cli(r0, "export", rec.id, "--compression", to);
      expect({ code: r.code, message: new RegExp(`^strata: corrupt blob sha256:[0-9a-f]{64}: ${reader}: .+\\n$`).test(r.stderr) }).toEqual({ code: 8, message: true });
      expect(readdirSync(`${r0}/content/blobs/sha256`)).toEqual([rec.blob.digest.slice(7)]);
      expect(readdirSync(`${r0}/content/ingest`)).toEqual([]);
    }
  });
});

test("a big export, hashed and compressed on a helper thread, is the uncompressed export's tar", () => {
  awkwardTree(`${dir}/src`);
  writeFileSync(`${dir}/src/random`, randomBytes(3 << 20));
  writeFileSync(`${dir}/src/zeros`, new Uint8Array(5 << 20));
  gnuTar(`${dir}/src`, `${dir}/base.tgz`);
  // A root per compression: a record's first export makes its blob, later ones transcode it.
  const exported = (compression: string) => {
    const r = `${dir}/root-${compression}`;
    const m = ok(r, "new");
    execFileSync("tar", ["--xattrs", "--xattrs-include=*", "-xzf", `${dir}/base.tgz`, "-C", m.path]);
    const c = ok(r, "commit", m.id);
    const layer = ok(r, "export", c.id, "--compression", compression).layers[0];
    return { layer, blob: `${r}/content/blobs/sha256/${layer.digest.slice("sha256:".length)}`, tree: m.path, root: r, id: c.id };
  };
  // The uncompressed blob is hashed once, as the diffID, and stored under it.
  const raw = exported("uncompressed");
  const fileSha = (cmd: string) => `sha256:${execFileSync("sh", ["-c", `${cmd} | sha256sum`]).toString().split(" ")[0]}`;
  expect(fileSha(`cat ${raw.blob}`)).toBe(raw.layer.digest);
  expect(raw.layer.diffID).toBe(raw.layer.digest);
  for (const [compression, tool, other, otherTool] of [["gzip", "gzip -dc", "zstd", "zstd -dc"], ["zstd", "zstd -dc", "gzip", "gzip -dc"]]) {
    const { layer, blob, root: r, id } = exported(compression);
    expect(layer.diffID).toBe(raw.layer.digest);
    expect(fileSha(`cat ${blob}`)).toBe(layer.digest);
    expect(fileSha(`${tool} ${blob}`)).toBe(raw.layer.digest);
    // The other compression is made from this blob (a linked variant): the same tar.
    const variant = ok(r, "export", id, "--compression", other).layers[0];
    expect(fileSha(`${otherTool} ${r}/content/blobs/sha256/${variant.digest.slice("sha256:".length)}`)).toBe(raw.layer.digest);
  }
  mkdirSync(`${dir}/out`);
  execFileSync("tar", ["--xattrs", "--xattrs-include=*", "-xf", raw.blob, "-C", `${dir}/out`]);
  expect(manifest(`${dir}/out`)).toEqual(manifest(raw.tree));
});

function cliCmd() {
  return process.env.STRATA_BIN ? [process.env.STRATA_BIN] : [process.execPath, `${import.meta.dir}/../../src/main.ts`];
}

test("a missing file or a directory is a clear error, not a corrupt layer", () => {
  const missing = cli(root, "import", `${dir}/nope.tgz`);
  expect(missing.code).toBe(3);
  expect(missing.stderr).toBe(`strata: file ${dir}/nope.tgz not found\n`);
  mkdirSync(`${dir}/adir`);
  const isDir = cli(root, "import", `${dir}/adir`);
  expect(isDir.code).toBe(2);
  expect(isDir.stderr).toMatch(/is a directory; import takes a layer blob/);
});

test("nothing is left behind by a failed import", () => {
  writeFileSync(`${dir}/junk`, "definitely not a layer");
  const r = cli(root, "import", `${dir}/junk`);
  expect(r.code).toBe(8);
  expect(readdirSync(`${root}/snapshots`)).toEqual([]);
  expect(readdirSync(`${root}/content/blobs/sha256`)).toEqual([]);
  expect(readdirSync(`${root}/content/ingest`)).toEqual([]);
  expect(ok(root, "du").records).toEqual([]);
  expect(existsSync(`${dir}/junk`)).toBe(true);
});

test("progress shows on a terminal, and never with --json or without one", async () => {
  const { makeTree } = await import("../bench/tree.ts");
  makeTree(`${dir}/big`, { files: 200, bytes: 20e6 });
  gnuTar(`${dir}/big`, `${dir}/big.tgz`);
  const cmd = [...cliCmd(), "--root", root, "import", `${dir}/big.tgz`].join(" ");
  // `script` gives the command a pseudo-terminal; its output is what the terminal saw.
  const tty = execFileSync("script", ["-qec", cmd, "/dev/null"]).toString();
  expect(tty).toMatch(/\r\x1b\[Kimporting [\d.]+[kMG]?B \([\d.]+[kMG]?B\/s\)/);
  rmSync(root, { recursive: true, force: true });
  const plain = cli(root, "import", `${dir}/big.tgz`);
  expect(plain.stderr).toBe("");
  rmSync(root, { recursive: true, force: true });
  const json = execFileSync("script", ["-qec", `${cmd} --json`, "/dev/null"]).toString();
  expect(json).not.toContain("importing");
  // Export too, of a record made here (an imported one has its blob already).
  const m = ok(root, "new");
  execFileSync("cp", ["-a", `${dir}/big/.`, m.path]);
  const c = ok(root, "commit", m.id);
  const out = execFileSync("script", ["-qec", [...cliCmd(), "--root", root, "export", c.id, "--compression", "zstd"].join(" "), "/dev/null"]).toString();
  expect(out).toMatch(/\r\x1b\[Kexporting [\d.]+[kMG]?B \([\d.]+[kMG]?B\/s\)/);
  expect(out).toContain("sha256:");
});

test("two processes importing the same layer at once end with one record and one snapshot", async () => {
  mkdirSync(`${dir}/t/d`, { recursive: true });
  for (let i = 0; i < 300; i++) writeFileSync(`${dir}/t/d/f${i}`, `file ${i}`);
  gnuTar(`${dir}/t`, `${dir}/t.tgz`);
  const run = () => Bun.spawn([...cliCmd(), "--root", root, "--json", "import", `${dir}/t.tgz`], { stdout: "pipe" });
  const procs = [run(), run(), run()];
  expect(await Promise.all(procs.map((p) => p.exited))).toEqual([0, 0, 0]);
  const ids = await Promise.all(procs.map(async (p) => JSON.parse(await new Response(p.stdout).text()).id));
  expect(new Set(ids).size).toBe(1);
  expect(ok(root, "du").records).toHaveLength(1);
  expect(readdirSync(`${root}/snapshots`)).toHaveLength(1);
  expect(ok(root, "check").problems).toEqual([]);
});
