/**
 * The status page's moving parts: GC runs into the history and a sample after each,
 * a clean stop with pages listening, and the sampler, the feed, the session table and
 * the origin check on their own.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { UsageSample } from "../../src/core/status.ts";
import { changeFeed } from "../../src/server/status/feed.ts";
import { fromThisOrigin } from "../../src/server/status/guard.ts";
import { startSampler } from "../../src/server/status/sampler.ts";
import { sessionMs, sessionTable } from "../../src/server/status/session.ts";
import { startDaemon } from "../helpers/daemon.ts";
import { cleanup, open, tempDir } from "../helpers/env.ts";
import { eventually, readEvents } from "../helpers/status.ts";

const quiet = () => {};

describe("on a daemon", () => {
  let root: string;
  beforeEach(() => (root = tempDir()));
  afterEach(() => cleanup(root));

  test("each GC policy run is in the history with what it freed; idle runs fold; a sample follows each GC", async () => {
    const svc = await open(root);
    for (let i = 0; i < 2; i++) await svc.commit({ id: (await svc.create({ description: "gc-me" })).id });
    await svc.close();
    const d = await startDaemon(root, {
      gc: { minGap: "100ms", policy: [{ filter: ["description==gc-me"], all: true }, { keepDuration: "1000h" }] },
    });
    try {
      type Run = { policy: number; records: number; bytes: number; runs: number; trigger: string; finishedAt: string; options: object };
      const history = async (): Promise<Run[]> => (await (await d.unix("/v1/status/history")).json()).runs;
      // The start-up run: policy 0 takes both records, policy 1 finds nothing.
      const first = await eventually(async () => {
        const runs = await history();
        return runs.length >= 2 ? runs : undefined;
      });
      expect(first.map((r) => [r.trigger, r.policy, r.records, r.runs])).toEqual([["gc", 1, 0, 1], ["gc", 0, 2, 1]]);
      expect(first[1]!.bytes).toBeGreaterThanOrEqual(0);
      expect(first[1]!.options).toEqual({ filter: ["description==gc-me"], all: true });
      // A sample was taken after that run.
      await eventually(async () => {
        const { samples } = await (await d.unix("/v1/status/samples")).json();
        return samples.some((s: { at: string }) => s.at >= first[0]!.finishedAt) || undefined;
      });

      // A write asks for another run: both policies are idle now. Policy 1's idle row counts
      // the runs (it keeps its place); policy 0's last run freed something, so it gets a new row.
      const made = await (await d.unix("/v1/snapshots", { method: "POST", body: '{"description": "stays"}' })).json();
      await d.unix(`/v1/records/${made.id}/commit`, { method: "POST", body: "{}" });
      const second = await eventually(async () => {
        const runs = await history();
        return runs.find((r) => r.policy === 1)!.runs >= 2 ? runs : undefined;
      });
      expect(second.map((r) => [r.policy, r.records])).toEqual([[0, 0], [1, 0], [0, 2]]);
    } finally {
      await d.stop();
    }
  });

  test("a daemon with a page listening stops cleanly, and the page's stream ends", async () => {
    const d = await startDaemon(root, { gc: { enabled: false } });
    const events = readEvents(await d.tcp("/v1/status/events"));
    expect(await events.next()).toBe("ready");
    expect(await d.stop()).toBe(0);
    expect(await events.next()).toBe("end");
  });
});

describe("the sampler", () => {
  const sample = (at: number): UsageSample => ({ at, records: 0, used: 0, reclaimable: 0, metadata: 0, content: 0, fsSize: 1, fsFree: 1 });

  test("takes one at start; asked while taking one, takes one more after it; stop waits", async () => {
    const stored: number[] = [];
    const gates: (() => void)[] = [];
    let n = 0;
    const take = () => new Promise<UsageSample>((resolve) => gates.push(() => resolve(sample(++n))));
    const s = startSampler(take, { addSample: async (x) => void stored.push(x.at) }, { log: quiet, everyMs: 3600_000 });
    await eventually(async () => gates.length === 1 || undefined);
    const a = s.now();
    const b = s.now(); // both wait for one more sample after the one being taken
    expect(gates).toHaveLength(1);
    gates[0]!();
    await eventually(async () => gates.length === 2 || undefined);
    gates[1]!();
    await Promise.all([a, b]);
    expect(stored).toEqual([1, 2]);
    const stopped = s.stop();
    await stopped;
    await s.now(); // after stop: nothing
    expect(stored).toEqual([1, 2]);
  });

  test("a failed sample is logged, and the next one is taken as usual", async () => {
    const logged: string[] = [];
    let fail = true;
    const stored: number[] = [];
    const s = startSampler(
      async () => {
        if (fail) throw new Error("disk gone");
        return sample(7);
      },
      { addSample: async (x) => void stored.push(x.at) },
      { log: (_level, msg, f) => logged.push(`${msg}: ${f?.error}`), everyMs: 3600_000 },
    );
    await eventually(async () => logged.length === 1 || undefined);
    expect(logged[0]).toContain("disk gone");
    fail = false;
    await s.now();
    expect(stored).toEqual([7]);
    await s.stop();
  });
});

describe("the change feed", () => {
  test("sends ready, then change on notify and when the marker moves; close ends every stream", async () => {
    let marker = "a";
    let reads = 0;
    const feed = changeFeed(async () => (reads++, marker), { log: quiet, pollMs: 20, coalesceMs: 5 });
    const events = readEvents(feed.stream());
    expect(await events.next()).toBe("ready");
    feed.notify();
    expect(await events.next()).toBe("change");
    // Polls never overlap: a second read means the first one's "a" is what the feed last saw.
    await eventually(async () => reads >= 2 || undefined);
    marker = "b";
    expect(await events.next()).toBe("change");
    feed.close();
    expect(await events.next()).toBe("end");
    // After close, a new stream says ready and ends.
    const late = readEvents(feed.stream());
    expect(await late.next()).toBe("ready");
    expect(await late.next()).toBe("end");
  });
});

describe("sessions", () => {
  test("live until they expire or are removed; the table keeps at most 64", () => {
    let now = 0;
    const t = sessionTable(() => now);
    const s = t.create();
    expect(t.find(s.id)).toBe(s);
    expect(s.id).not.toBe(s.csrf);
    expect(t.find(undefined)).toBeUndefined();
    expect(t.find("forged")).toBeUndefined();
    now = sessionMs;
    expect(t.find(s.id)).toBeUndefined();
    const first = t.create();
    const rest = Array.from({ length: 64 }, () => t.create());
    expect(t.find(first.id)).toBeUndefined();
    expect(t.find(rest[0]!.id)).toBe(rest[0]);
    t.remove(rest[0]!.id);
    expect(t.find(rest[0]!.id)).toBeUndefined();
  });

  test("a request is the page's own unless the browser says it came from elsewhere", () => {
    const req = (method: string, headers: { [k: string]: string }) => new Request("http://127.0.0.1:8080/v1/du", { method, headers });
    expect(fromThisOrigin(req("GET", {}))).toBe(true); // not a browser
    expect(fromThisOrigin(req("POST", { "sec-fetch-site": "same-origin", origin: "http://127.0.0.1:8080" }))).toBe(true);
    expect(fromThisOrigin(req("GET", { "sec-fetch-site": "none" }))).toBe(true); // typed into the address bar
    expect(fromThisOrigin(req("POST", { "sec-fetch-site": "none" }))).toBe(false);
    expect(fromThisOrigin(req("POST", { "sec-fetch-site": "same-site" }))).toBe(false);
    expect(fromThisOrigin(req("GET", { "sec-fetch-site": "cross-site" }))).toBe(false);
    expect(fromThisOrigin(req("POST", { origin: "http://127.0.0.1:9090" }))).toBe(false);
    expect(fromThisOrigin(req("POST", { origin: "null" }))).toBe(false);
  });
});
