/** Prune against a real filesystem's free space, and prune killed half-way. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { execSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statfsSync, writeFileSync } from "node:fs";
import { cleanup, cliCommand, ok, open, tempDir } from "./helpers/env.ts";

const asRoot = process.getuid?.() === 0;
const free = (path: string) => {
  const st = statfsSync(path);
  return st.bavail * st.bsize;
};
let mnt: string;
beforeAll(() => {
  mnt = tempDir("strata-tmpfs-");
  if (asRoot) execSync(`mount -t tmpfs -o size=24m strata-test ${mnt}`);
});
afterAll(() => {
  if (asRoot) execSync(`umount ${mnt}`);
  cleanup(mnt);
});

test.if(asRoot)("min-free-space frees least recently used records until the filesystem has that much free", async () => {
  const root = `${mnt}/root`;
  const svc = await open(root);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const m = await svc.create({});
    writeFileSync(`${m.path}/blob`, Buffer.alloc(3 * 2 ** 20, i + 1));
    ids.push((await svc.commit({ id: m.id })).id);
  }
  await svc.path({ ref: ids[0]! }); // used again: now the most recent
  await svc.close();
  const want = free(mnt) + 7 * 2 ** 20;
  const lines = Bun.spawnSync([...cliCommand(), "--root", root, "--json", "prune", "--min-free-space", String(want)])
    .stdout.toString().trim().split("\n").map((l) => JSON.parse(l));
  const removed = lines.filter((l) => l.id).map((l) => l.id);
  expect(removed).toEqual([ids[1], ids[2], ids[3]]);
  expect(free(mnt)).toBeGreaterThanOrEqual(want);
  expect(ok(root, "du").records.map((r: { id: string }) => r.id).sort()).toEqual([ids[0], ids[4]].sort());
});

test("a prune killed half-way leaves a store that opens clean", async () => {
  const root = tempDir();
  try {
    const svc = await open(root);
    const all: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const m = await svc.create({});
      mkdirSync(`${m.path}/d`);
      for (let j = 0; j < 5; j++) writeFileSync(`${m.path}/d/f${j}`, `${i}/${j}`);
      all.push((await svc.commit({ id: m.id })).id);
    }
    await svc.close();
    const p = Bun.spawn([...cliCommand(), "--root", root, "--json", "prune", "--all"], { stdout: "pipe" });
    const reader = p.stdout.getReader();
    let seen = "";
    while ((seen.match(/\n/g)?.length ?? 0) < 20) seen += new TextDecoder().decode((await reader.read()).value);
    p.kill("SIGKILL");
    await p.exited;

    expect(ok(root, "check").problems).toEqual([]);
    const left = ok(root, "du").records.map((r: { id: string }) => r.id);
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(all.length);
    for (const id of left.slice(0, 10)) expect(existsSync(ok(root, "path", id).path)).toBe(true);
    expect(readdirSync(`${root}/snapshots`).length).toBe(left.length);
    expect(readdirSync(`${root}/trash`)).toEqual([]);
  } finally {
    cleanup(root);
  }
}, 60_000);
