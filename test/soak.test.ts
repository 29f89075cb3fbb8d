/**
 * A soak on one root (SPEC §8): six worker processes doing what CI jobs do for a minute
 * (test/soak/worker.ts), a daemon running an aggressive GC policy, a pruner going through
 * the daemon, and workers killed with -9 now and then and replaced. At the end: only the
 * designed errors, each counted; `check` clean; every acknowledged commit that is still
 * there has the tree it was committed with; and the bytes on disk are what `du` says,
 * within 1%.
 */
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { startDaemon } from "./helpers/daemon.ts";
import { cleanup, ok, repo, tempDir } from "./helpers/env.ts";
import { cliAsync } from "./helpers/remote-cli.ts";
import { gnuTar } from "./helpers/tars.ts";
import { treeHash } from "./soak/tree.ts";

const seconds = Number(process.env.STRATA_SOAK_SECONDS ?? 60);
/** Codes a CI job may meet when others prune and gc under it; anything else is a bug. */
const designed = new Set(["ok", "not_found", "key_not_found", "missing_blob", "invalid"]);

interface Worker {
  proc: ReturnType<typeof Bun.spawn>;
  lines: Promise<string>;
}

test(`soak: six workers, a daemon with aggressive GC, a pruner and kill -9 for ${seconds} s`, async () => {
  const dir = tempDir();
  const root = `${dir}/root`;
  const fixtures = `${dir}/layers`;
  mkdirSync(fixtures);
  for (let i = 0; i < 3; i++) {
    mkdirSync(`${dir}/t${i}`);
    for (let j = 0; j < 30; j++) writeFileSync(`${dir}/t${i}/f${j}`, `layer ${i} file ${j}\n`.repeat(100));
    gnuTar(`${dir}/t${i}`, `${fixtures}/l${i}.tgz`);
  }
  ok(root, "du");
  const daemon = await startDaemon(root, { gc: { interval: "2s", minGap: "1s", policy: [{ keepDuration: "3s", all: true }] } });
  const start = (name: string): Worker => {
    const proc = Bun.spawn([process.execPath, `${repo}/test/soak/worker.ts`, root, name, String(seconds), fixtures], { stdout: "pipe", stderr: "inherit" });
    return { proc, lines: new Response(proc.stdout).text() };
  };
  const workers = Array.from({ length: 6 }, (_, i) => start(`w${i}`));
  const finished: Worker[] = [];
  let killed = 0;
  const deadline = Date.now() + seconds * 1000;
  try {
    for (let round = 0; Date.now() < deadline; round++) {
      // The pruner, through the daemon; now and then a worker dies and another takes its place.
      // Not spawnSync: the daemon's log pipe must keep draining while the pruner waits on it.
      const pruned = await cliAsync(root, ["prune", "--keep-duration", "5s"]);
      expect({ code: pruned.code, stderr: pruned.stderr }).toEqual({ code: 0, stderr: "" });
      if (round > 0) {
        const i = round % workers.length;
        workers[i]!.proc.kill(9);
        killed++;
        finished.push(workers[i]!);
        workers[i] = start(`w${i}r${round}`);
      }
      await Bun.sleep(2000);
    }
    finished.push(...workers);
    await Promise.all(finished.map((w) => w.proc.exited));
  } finally {
    await daemon.stop();
  }

  const events = (await Promise.all(finished.map((w) => w.lines))).join("").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const counts: { [code: string]: number } = {};
  for (const e of events) if (e.op) counts[e.code] = (counts[e.code] ?? 0) + 1;
  console.log(`soak: ${events.filter((e) => e.op).length} operations, ${killed} workers killed, outcomes ${JSON.stringify(counts)}`);
  const unexpected = events.filter((e) => e.op && !designed.has(e.code));
  expect(unexpected).toEqual([]);
  expect(counts.ok).toBeGreaterThan(100);

  // Nothing left unexplained, after start-up recovery has had its say.
  ok(root, "gc");
  const problems = ok(root, "check").problems;
  for (const p of problems) if (p.id) console.log(JSON.stringify(ok(root, "info", p.id)));
  expect(problems).toEqual([]);
  const acks = events.filter((e) => e.ack);
  expect(acks.length).toBeGreaterThan(10);
  const records = new Map(ok(root, "du").records.map((r: { id: string }) => [r.id, r]));
  // Pruned ones are gone, as unheld records may be; the latest that stand are checked.
  const standing = acks.filter((a) => records.has(a.ack)).slice(-10);
  for (const a of standing) expect(treeHash(ok(root, "path", a.ack).path)).toBe(a.hash);
  // What strata accounts for (snapshots, blobs, its database) against the blocks they take;
  // the few directories holding them are housekeeping, not data, and left out. SQLite
  // deletes meta.db-shm (32 KiB) and meta.db-wal when the last connection closes, so `du`
  // counts them and they are gone by the time the blocks are counted, unless a connection
  // stays open: this one does (7.6% off when every record had been pruned).
  const open = new Database(`${root}/meta.db`);
  open.query("SELECT count(*) FROM sqlite_master").get();
  const du = ok(root, "du");
  const claimed = du.totals.total + du.totals.metadata + du.totals.content;
  const data = [
    ...readdirSync(`${root}/snapshots`).map((n) => `${root}/snapshots/${n}`),
    ...readdirSync(`${root}/content/blobs/sha256`).map((n) => `${root}/content/blobs/sha256/${n}`),
    ...readdirSync(root).filter((n) => n.startsWith("meta.db")).map((n) => `${root}/${n}`),
  ];
  const onDisk = Number(execFileSync("du", ["-sc", "--block-size=1", ...data]).toString().trim().split("\n").at(-1)!.split("\t")[0]);
  open.close();
  if (Math.abs(onDisk - claimed) / onDisk >= 0.01) console.log(JSON.stringify(du.totals), onDisk);
  expect(Math.abs(onDisk - claimed) / onDisk).toBeLessThan(0.01);
  expect(readdirSync(`${root}/content/ingest`)).toEqual([]);
  cleanup(dir);
}, (seconds + 300) * 1000);
