/** What `new --parent` must keep of a tree: every type, mode, owner, time, link and xattr. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync,
} from "node:fs";
import { copyTree } from "../../src/snapshot/copy.ts";
import { sys } from "../../src/runtime/bun/sys.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

const asRoot = process.getuid?.() === 0;
let dir: string;
let src: string;
let dst: string;

beforeAll(async () => {
  dir = tempDir();
  src = `${dir}/src`;
  dst = `${dir}/dst`;
  mkdirSync(`${src}/sub/deep`, { recursive: true });
  writeFileSync(`${src}/plain`, "plain");
  writeFileSync(`${src}/exec`, "#!/bin/sh\n");
  chmodSync(`${src}/exec`, 0o755);
  writeFileSync(`${src}/sub/deep/readonly`, "ro");
  chmodSync(`${src}/sub/deep/readonly`, 0o444);
  writeFileSync(`${src}/setuid`, "s");
  linkSync(`${src}/plain`, `${src}/sub/hardlink`);
  symlinkSync("../plain", `${src}/sub/rel-link`);
  symlinkSync("/etc/passwd", `${src}/abs-link`);
  symlinkSync("nowhere", `${src}/dangling`);
  sys.mknod(`${src}/fifo`, 0o010644, 0n);
  sys.setxattr(`${src}/plain`, "user.origin", new TextEncoder().encode("strata"));
  sys.setxattr(`${src}/sub`, "user.dir", new Uint8Array([0, 1, 2]));
  if (asRoot) {
    chownSync(`${src}/setuid`, 1234, 5678);
    chmodSync(`${src}/setuid`, 0o4755);
    sys.mknod(`${src}/null`, 0o020666, (1n << 8n) | 3n);
  }
  chmodSync(`${src}/sub/deep`, 0o555);
  sys.utimens(`${src}/plain`, 1_000_000_123n, 1_600_000_000_123_456_789n);
  sys.utimens(`${src}/sub`, 1_000_000_000n, 1_500_000_000_987_654_321n);
  sys.utimens(`${src}/sub/rel-link`, 1_000_000_000n, 1_400_000_000_000_000_001n);
  await copyTree(src, dst, sys);
});
afterAll(() => {
  chmodSync(`${src}/sub/deep`, 0o755);
  chmodSync(`${dst}/sub/deep`, 0o755);
  cleanup(dir);
});

const st = (p: string) => lstatSync(p, { bigint: true });

test("regular files keep content and mode", () => {
  expect(readFileSync(`${dst}/plain`, "utf8")).toBe("plain");
  expect(Number(st(`${dst}/exec`).mode) & 0o7777).toBe(0o755);
  expect(Number(st(`${dst}/sub/deep/readonly`).mode) & 0o7777).toBe(0o444);
});

test("no copied file shares an inode with its source", () => {
  expect(st(`${dst}/plain`).ino).not.toBe(st(`${src}/plain`).ino);
});

test("directories keep their modes, set after filling", () => {
  expect(Number(st(`${dst}/sub/deep`).mode) & 0o7777).toBe(0o555);
});

test("hardlinks inside the tree stay linked to each other", () => {
  expect(st(`${dst}/sub/hardlink`).ino).toBe(st(`${dst}/plain`).ino);
  expect(st(`${dst}/plain`).nlink).toBe(2n);
});

test("symlinks are copied as links, dangling ones too", () => {
  expect(readlinkSync(`${dst}/sub/rel-link`)).toBe("../plain");
  expect(readlinkSync(`${dst}/abs-link`)).toBe("/etc/passwd");
  expect(readlinkSync(`${dst}/dangling`)).toBe("nowhere");
});

test("fifos stay fifos", () => {
  expect(st(`${dst}/fifo`).isFIFO()).toBe(true);
});

test("nanosecond mtimes survive on files, directories and symlinks", () => {
  expect(st(`${dst}/plain`).mtimeNs).toBe(1_600_000_000_123_456_789n);
  expect(st(`${dst}/sub`).mtimeNs).toBe(1_500_000_000_987_654_321n);
  expect(st(`${dst}/sub/rel-link`).mtimeNs).toBe(1_400_000_000_000_000_001n);
});

test("xattrs survive on files and directories", () => {
  expect(new TextDecoder().decode(sys.getxattr(`${dst}/plain`, "user.origin"))).toBe("strata");
  expect([...sys.getxattr(`${dst}/sub`, "user.dir")]).toEqual([0, 1, 2]);
});

test.if(asRoot)("as root: owners, setuid bits and device nodes survive", () => {
  const s = st(`${dst}/setuid`);
  expect([s.uid, s.gid]).toEqual([1234n, 5678n]);
  expect(Number(s.mode) & 0o7777).toBe(0o4755);
  const dev = st(`${dst}/null`);
  expect(dev.isCharacterDevice()).toBe(true);
  expect(dev.rdev).toBe(st(`${src}/null`).rdev);
});

test("with a helper thread, a tree of many files copies exactly as on one thread", async () => {
  const { copier } = await import("../../src/runtime/bun/copier.ts");
  const big = `${dir}/big`;
  for (let d = 0; d < 20; d++) {
    mkdirSync(`${big}/d${d}`, { recursive: true });
    for (let f = 0; f < 40; f++) {
      const p = `${big}/d${d}/f${f}`;
      writeFileSync(p, `file ${d}/${f}`.repeat(f + 1));
      chmodSync(p, f % 3 === 0 ? 0o600 : 0o644);
      if (f % 7 === 0) sys.setxattr(p, "user.n", new TextEncoder().encode(`${d}.${f}`));
      if (asRoot && f % 5 === 0) chownSync(p, 1000 + d, 2000 + f);
      sys.utimens(p, 1_000_000_000n, 1_600_000_000_000_000_000n + BigInt(d * 1000 + f));
    }
    linkSync(`${big}/d${d}/f1`, `${big}/d${d}/link-to-f1`);
    sys.utimens(`${big}/d${d}`, 1_000_000_000n, 1_500_000_000_000_000_000n + BigInt(d));
  }
  const manifest = (root: string) => {
    const out: string[] = [];
    for (const d of readdirSync(root).sort()) {
      const ds = st(`${root}/${d}`);
      out.push(`${d} ${ds.mode} ${ds.mtimeNs}`);
      for (const f of readdirSync(`${root}/${d}`).sort()) {
        const p = `${root}/${d}/${f}`;
        const s = st(p);
        const x = sys.listxattr(p).map((n) => `${n}=${new TextDecoder().decode(sys.getxattr(p, n))}`).join();
        out.push(`${d}/${f} ${s.mode} ${s.uid}:${s.gid} ${s.nlink} ${s.mtimeNs} ${x} ${readFileSync(p, "utf8")}`);
      }
    }
    return out;
  };
  let started = 0;
  await copyTree(big, `${dir}/big-copy`, sys, () => (started++, copier()));
  expect(started).toBe(1);
  expect(manifest(`${dir}/big-copy`)).toEqual(manifest(big));
  expect(st(`${dir}/big-copy/d3/link-to-f1`).ino).toBe(st(`${dir}/big-copy/d3/f1`).ino);
});

test("a failure on the helper thread fails the copy with its error", async () => {
  const { copier } = await import("../../src/runtime/bun/copier.ts");
  const from = `${dir}/fail`;
  mkdirSync(from);
  for (let f = 0; f < 400; f++) writeFileSync(`${from}/f${f}`, "x");
  // The helper's files vanish under it: its copyFile meets ENOENT.
  const vanishing = () => {
    const c = copier();
    return { add: (job: Parameters<typeof c.add>[0]) => c.add({ ...job, from: `${job.from}-gone` }), finish: () => c.finish() };
  };
  await expect(copyTree(from, `${dir}/fail-copy`, sys, vanishing)).rejects.toMatchObject({ code: "ENOENT" });
});
