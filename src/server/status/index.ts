/**
 * The status page (SPEC §9) as one piece the daemon plugs in. What it adds:
 *
 * - routes: the page and its files (page.ts), the session routes (login.ts), the JSON
 *   and the event stream under /v1/status (routes.ts);
 * - `admit`: the session cookie beside the bearer token on TCP (guard.ts);
 * - `watch`: prunes asked for over HTTP, counted into the history (history.ts);
 * - `gc`: each GC policy run into the history, and a usage sample after each GC run;
 * - a usage sample a minute (sampler.ts), and live updates (feed.ts).
 *
 *   const status = statusServer({ svc, token, policies, gcEnabled: true, log });
 *   const app = makeApp({ ..., status, changed: () => status.changed() });
 *   ...
 *   await status.stop(); // before the listeners: it ends the event streams
 */
import type { Context, Hono } from "hono";
import type { OperationName } from "../../api/operations.ts";
import type { Service } from "../../api/service.ts";
import { runOptions } from "../../core/status.ts";
import type { Env } from "../app.ts";
import { tokenChecker } from "../auth.ts";
import type { RawPolicy } from "../config.ts";
import type { GcWatch } from "../gc.ts";
import type { Log } from "../log.ts";
import { changeFeed } from "./feed.ts";
import { admit } from "./guard.ts";
import { history } from "./history.ts";
import { mountLogin } from "./login.ts";
import { mountPage } from "./page.ts";
import { mountRoutes } from "./routes.ts";
import { startSampler, usageNow } from "./sampler.ts";
import { sessionTable } from "./session.ts";

/** What the HTTP app needs of the status page. */
export interface StatusApp {
  /** Adds the page, its files, and /v1/status/… to the app. */
  mount(app: Hono<Env>): void;
  /** A TCP request without a valid bearer token: undefined lets it through, else the refusal. */
  admit(c: Context): Response | undefined;
  /** A streamed operation's results on their way out, passed on unchanged. */
  watch(name: OperationName, raw: unknown, items: AsyncIterable<unknown>): AsyncIterable<unknown>;
}

export interface StatusServer extends StatusApp {
  /** For the GC scheduler (gc.ts). */
  gc: GcWatch;
  /** This daemon changed the store (the app's `changed` hook): pages update. */
  changed(): void;
  /** Ends the event streams and the sampler. */
  stop(): Promise<void>;
}

export function statusServer(d: {
  svc: Service;
  token: string;
  /** The GC policies the daemon runs, or would run were GC on. */
  policies: RawPolicy[];
  gcEnabled: boolean;
  log: Log;
}): StatusServer {
  const store = d.svc.status();
  if (!store) throw new Error("this metadata store keeps no status tables");
  const sessions = sessionTable();
  const feed = changeFeed(() => store.marker(), { log: d.log });
  const runs = history(store, d.log);
  const sampler = startSampler(() => usageNow(d.svc), store, { log: d.log });

  return {
    mount(app) {
      mountPage(app);
      mountLogin(app, { sessions, authorized: tokenChecker(d.token), log: d.log });
      mountRoutes(app, { svc: d.svc, store, feed, policies: d.policies.map(runOptions), gcEnabled: d.gcEnabled });
    },
    admit: (c) => admit(c, sessions),
    watch: (name, raw, items) => (name === "prune" ? runs.prune(raw, items) : items),
    gc: { policyRan: runs.gc.policyRan, runDone: () => void sampler.now() },
    changed: () => feed.notify(),
    async stop() {
      feed.close();
      await sampler.stop();
    },
  };
}
