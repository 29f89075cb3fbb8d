/**
 * The status page's JSON under `/v1/status` (the records come from `/v1/du`, as for any
 * client). Times are RFC 3339, sizes bytes, as everywhere in the API (SPEC §2).
 *
 *   GET /v1/status                 usage now, each GC policy's limits beside it, key hit rate
 *   GET /v1/status/samples?limit=  usage over time, oldest first
 *   GET /v1/status/history?limit=  prune and GC runs, newest first
 *   GET /v1/status/keys?limit=     key lookup totals, hit rate, newest lookups
 *   GET /v1/status/events          Server-Sent Events: `change` when any of it may have moved
 */
import type { Hono } from "hono";
import * as v from "valibot";
import type { Service } from "../../api/service.ts";
import { validate } from "../../api/validate.ts";
import { hitRate, limits, policyLimits, type RunOptions, type StatusStore, type UsageSample } from "../../core/status.ts";
import type { Env } from "../app.ts";
import type { ChangeFeed } from "./feed.ts";
import { usageNow } from "./sampler.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** `?limit=N`, a whole number from 1 to `max`. */
const limitInput = (max: number) =>
  v.strictObject({
    limit: v.optional(v.pipe(
      v.string(),
      v.regex(/^\d{1,7}$/, "limit must be a whole number"),
      v.transform(Number),
      v.minValue(1, "limit must be at least 1"),
      v.maxValue(max, `limit must be at most ${max}`),
    )),
  });

const sampleJson = (s: UsageSample) => ({ ...s, at: iso(s.at) });

export interface RoutesDeps {
  svc: Service;
  store: StatusStore;
  feed: ChangeFeed;
  /** The daemon's GC policies as configured, and whether GC runs at all. */
  policies: RunOptions[];
  gcEnabled: boolean;
}

export function mountRoutes(app: Hono<Env>, d: RoutesDeps) {
  const query = (c: { req: { query(): { [k: string]: string } } }, max: number) => validate(limitInput(max), c.req.query()).limit;

  app.get("/v1/status", async (c) => {
    const usage = await usageNow(d.svc);
    const counts = await d.store.lookupCounts();
    return c.json({
      ...d.svc.version(),
      usage: sampleJson(usage),
      gc: { enabled: d.gcEnabled, policies: policyLimits(d.policies, usage) },
      keys: { counts, ...hitRate(counts) },
    });
  });

  app.get("/v1/status/samples", async (c) => {
    const samples = await d.store.samples(query(c, limits.samples));
    return c.json({ samples: samples.map(sampleJson) });
  });

  app.get("/v1/status/history", async (c) => {
    const runs = await d.store.runs(query(c, limits.runs));
    return c.json({ runs: runs.map((r) => ({ ...r, startedAt: iso(r.startedAt), finishedAt: iso(r.finishedAt) })) });
  });

  app.get("/v1/status/keys", async (c) => {
    const limit = query(c, limits.lookups);
    const [counts, recent] = await Promise.all([d.store.lookupCounts(), d.store.lookups(limit)]);
    return c.json({ counts, ...hitRate(counts), recent: recent.map((l) => ({ ...l, at: iso(l.at) })) });
  });

  app.get("/v1/status/events", () => d.feed.stream());
}
