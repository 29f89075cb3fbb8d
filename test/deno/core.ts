/**
 * The core on Deno: node:sqlite behind the metadata port and Deno.dlopen for xattrs,
 * times and (as root, where `auto` picks overlayfs) mounts. Run with `deno test -A test/deno/core.ts` (bun test does not pick this file up).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { openRoot } from "../../src/api/open.ts";
import { runtime } from "../../src/runtime/deno/index.ts";
import { MNT_DETACH } from "../../src/platform/sys.ts";
import { mountsUnder } from "../../src/snapshot/overlay/mountinfo.ts";

declare const Deno: { test(name: string, fn: () => Promise<void> | void): void };

/**
 * As root, `auto` gives these roots overlayfs: what a test root left mounted is
 * unmounted before it is removed.
 */
function remove(root: string) {
  for (const point of mountsUnder(realpathSync(root)).reverse()) runtime.sys.umount(point, MNT_DETACH);
  rmSync(root, { recursive: true, force: true });
}

Deno.test("records keep their lifecycle on node:sqlite", async () => {
  const root = mkdtempSync(`${tmpdir()}/strata-deno-`);
  try {
    const svc = await openRoot(root, runtime);
    assert.equal(svc.version().runtime.split(" ")[0], "deno");
    // The snapshot directory got FS_TOPDIR_FL through Deno's ioctl, as `lsattr` shows it.
    assert.match(execFileSync("lsattr", ["-d", `${root}/snapshots`]).toString().split(" ")[0]!, /T/);
    const m = await svc.create({ description: "on deno" });
    writeFileSync(`${m.path}/f`, "deno");
    mkdirSync(`${m.path}/d`);
    runtime.sys.setxattr(`${m.path}/f`, "user.k", new TextEncoder().encode("v"));
    runtime.sys.utimens(`${m.path}/f`, 0n, 1_600_000_000_123_456_789n);
    await assert.rejects(svc.path({ ref: m.id }), { code: "locked" });
    const c = await svc.commit({ id: m.id });
    assert.equal(c.mutable, false);
    assert.equal(c.usageCount, 1);
    const child = await svc.create({ parent: c.id });
    assert.equal(readFileSync(`${child.path}/f`, "utf8"), "deno");
    assert.equal(new TextDecoder().decode(runtime.sys.getxattr(`${child.path}/f`, "user.k")), "v");
    // Deno's lstat rounds to milliseconds: read the copy's time through libc.
    const st = lstatSync(`${child.path}/f`, { bigint: true });
    assert.equal(runtime.sys.times(`${child.path}/f`, st)[1], 1_600_000_000_123_456_789n);
    await assert.rejects(svc.reopen({ id: m.id }), { code: "not_found" });
    assert.deepEqual(await svc.release({ id: child.id }), { id: child.id, deleted: true });
    const pruned = [];
    for await (const r of svc.prune({ all: true })) pruned.push(r);
    assert.deepEqual(pruned.map((r) => ("id" in r ? r.id : "summary")), [c.id, "summary"]);
    assert.deepEqual((await svc.du({})).records, []);
    await svc.close();
  } finally {
    remove(root);
  }
});

Deno.test("layers on Deno: a GNU tar layer imports, dedupes, merges and exports", async () => {
  const { execFileSync } = await import("node:child_process");
  const root = mkdtempSync(`${tmpdir()}/strata-deno-`);
  try {
    mkdirSync(`${root}/src/d`, { recursive: true });
    writeFileSync(`${root}/src/d/f`, "from tar");
    // Over 4 MiB, so the layer's digests are hashed on Deno's worker thread.
    const big = new Uint8Array(6 << 20).map((_, i) => (i * 7919) & 0xff);
    writeFileSync(`${root}/src/big`, big);
    execFileSync("tar", ["--format=pax", "-czf", `${root}/l.tgz`, "-C", `${root}/src`, "."]);
    const svc = await openRoot(`${root}/store`, runtime);
    const rec = await svc.importLayer({ source: `${root}/l.tgz` });
    assert.equal(readFileSync(`${(await svc.path({ ref: rec.id })).path}/d/f`, "utf8"), "from tar");
    const sum = (f: string) => execFileSync("sha256sum", [f]).toString().split(" ")[0];
    assert.equal(rec.blob!.digest, `sha256:${sum(`${root}/l.tgz`)}`);
    execFileSync("sh", ["-c", `gzip -dc ${root}/l.tgz > ${root}/l.tar`]);
    assert.equal(rec.blob!.diffID, `sha256:${sum(`${root}/l.tar`)}`);
    const again = await svc.importLayer({ source: `${root}/l.tgz` });
    assert.equal(again.id, rec.id);
    const exported = await svc.exportRecord({ ref: rec.id, compression: "uncompressed" });
    assert.equal(exported.layers[0]!.digest, rec.blob!.diffID);
    const other = await svc.create({});
    writeFileSync(`${other.path}/g`, "other");
    const c = await svc.commit({ id: other.id });
    const m = await svc.merge({ refs: [rec.id, c.id] });
    const mp = (await svc.path({ ref: m.id })).path;
    assert.deepEqual(readdirSync(mp).sort(), ["big", "d", "g"]);
    await svc.close();
  } finally {
    remove(root);
  }
});
