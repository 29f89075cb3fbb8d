/** The GC scheduler: runs never overlap, and a write during a run is not forgotten. */
import { expect, test } from "bun:test";
import { gcScheduler, type PruneRunner } from "../../src/server/gc.ts";
import { Metrics } from "../../src/server/metrics.ts";

/** A prune that stays open until `finish()`, counting how many began. */
function gate() {
  const g = { started: 0, finish: () => {}, began: Promise.withResolvers<void>() };
  const runner: PruneRunner = async function* () {
    g.started++;
    const done = Promise.withResolvers<void>();
    g.finish = done.resolve;
    g.began.resolve();
    await done.promise;
  };
  return { g, runner };
}

const quiet = () => {};

test("a run asked for while one is running comes after it, once", async () => {
  const { g, runner } = gate();
  const gc = gcScheduler(runner, [{}], { log: quiet, metrics: new Metrics(), minGapMs: 0 });
  const first = gc.runNow();
  await g.began.promise;
  g.began = Promise.withResolvers();
  gc.request();
  gc.request();
  expect(g.started).toBe(1); // never two at once
  g.finish();
  await first;
  await g.began.promise; // the second run, owed to the requests
  expect(g.started).toBe(2);
  g.finish();
  await gc.stop();
  expect(g.started).toBe(2);
});

test("a timer that comes due during a run started by runNow is not lost", async () => {
  const { g, runner } = gate();
  const gc = gcScheduler(runner, [{}], { log: quiet, metrics: new Metrics(), minGapMs: 0 });
  gc.request(); // a timer, due at once
  const first = gc.runNow(); // begins before the timer fires
  await g.began.promise;
  g.began = Promise.withResolvers();
  await Bun.sleep(5); // the timer fires while the run is on
  expect(g.started).toBe(1);
  g.finish();
  await first;
  await g.began.promise;
  expect(g.started).toBe(2);
  g.finish();
  await gc.stop();
});
