/**
 * Locks between processes (runtime/bun/lock.ts): gc forgetting a lock file never lets
 * two holders in. A held lock's file stays; a file removed under a waiter sends the
 * waiter to the file that is there now.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { locks } from "../../src/runtime/bun/lock.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => cleanup(dir));

/** Whether `p` has settled, after letting every pending callback run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await Bun.sleep(300);
  return done;
}

test("forget removes a free lock's file and keeps a held one's", async () => {
  const [a, b] = [locks(dir), locks(dir)];
  (await a.hold("free")).release();
  const held = await a.hold("held");
  b.forget(["free", "held", "never"]);
  expect(existsSync(`${dir}/free`)).toBe(false);
  expect(existsSync(`${dir}/held`)).toBe(true);
  // Still exclusive: another taker waits for the holder.
  const next = b.hold("held");
  expect(await settled(next)).toBe(false);
  held.release();
  (await next).release();
});

test("a waiter whose file was removed under it takes the lock on the file that is there now", async () => {
  const [first, waiter, third] = [locks(dir), locks(dir), locks(dir)];
  const one = await first.hold("x");
  const waiting = waiter.hold("x");
  expect(await settled(waiting)).toBe(false);
  rmSync(`${dir}/x`); // as an older gc did, not holding it
  const three = await third.hold("x"); // a new file, free
  one.release();
  // The waiter now has the old file's lock, which excludes nobody: it must wait for `three`.
  expect(await settled(waiting)).toBe(false);
  three.release();
  (await waiting).release();
});

/** Another process holding `file` (flock(1)) until told to go; resolves once it holds it. */
async function holder(file: string, then = "read _"): Promise<{ proc: ReturnType<typeof Bun.spawn>; go(): void }> {
  const proc = Bun.spawn(["flock", file, "sh", "-c", `echo held; ${then}`], { stdin: "pipe", stdout: "pipe" });
  const reader = proc.stdout.getReader();
  await reader.read(); // "held"
  reader.releaseLock();
  return { proc, go: () => proc.stdin.end() };
}

test("a lone process holding no other lock waits on its own thread: no timer runs until it has the lock", async () => {
  const other = await holder(`${dir}/x`, "sleep 0.3");
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const lock = await locks(dir, { alone: true }).hold("x");
  clearInterval(timer);
  expect(ticks).toBe(0);
  expect(await other.proc.exited).toBe(0); // it had let go: the lock came from it
  lock.release();
});

test("a lone process that holds a lock waits on a helper thread, so its own work goes on meanwhile (no deadlock)", async () => {
  const mine = locks(dir, { alone: true });
  const d = await mine.hold("d");
  // The other process holds `l` and then wants `d`, which this one holds.
  const other = await holder(`${dir}/l`, `timeout 20 flock ${dir}/d true`);
  const wantL = mine.hold("l");
  // Released by a timer: if waiting for `l` blocked this thread, the timer would not run.
  setTimeout(() => d.release(), 50);
  (await wantL).release();
  expect(await other.proc.exited).toBe(0); // it got `d` (not 124: timed out waiting for it)
});
