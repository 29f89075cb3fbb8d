/**
 * The status page over HTTP, on a real daemon: its files, login and the session cookie,
 * the CSRF defence, the bearer token on every route as before, and the data behind the
 * page (history, key lookups, samples, live events).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Operation, operations } from "../../src/api/operations.ts";
import { type Daemon, startDaemon } from "../helpers/daemon.ts";
import { cleanup, tempDir } from "../helpers/env.ts";
import { eventually, login, readEvents } from "../helpers/status.ts";

let root: string;
let d: Daemon;
beforeAll(async () => {
  root = tempDir();
  d = await startDaemon(root, { gc: { enabled: false } });
});
afterAll(async () => {
  await d.stop();
  cleanup(root);
});

const json = async (r: Response) => ({ status: r.status, body: await r.json() });
const refused = (r: Response) => r.status === 401 || r.status === 403;
const sameOrigin = () => ({ origin: d.url, "sec-fetch-site": "same-origin" });
/** A request with the session cookie and no token. */
const withCookie = (cookie: string, path: string, init: RequestInit = {}) =>
  d.tcp(path, { ...init, auth: null, headers: { cookie, ...sameOrigin(), ...(init.headers as object) } });

/** Every route of the API with a harmless request: GETs as they are, writes with a body every schema refuses. */
function everyRoute(): { method: string; path: string; body?: string }[] {
  const routes = (Object.values(operations) as Operation[]).map((o) => ({
    method: o.method,
    path: o.path.replace(/:ref|:id/g, "0".repeat(25)).replace(":name", "some-key"),
    body: o.method === "GET" ? undefined : '{"unknownField": 1}',
  }));
  for (const path of ["/v1/status", "/v1/status/samples", "/v1/status/history", "/v1/status/keys", "/v1/status/session", "/metrics", "/v1/openapi.json"]) {
    routes.push({ method: "GET", path, body: undefined });
  }
  return routes;
}

describe("the page", () => {
  test("/ and its files are served from the binary, open on TCP, with a strict content policy", async () => {
    const page = await d.tcp("/", { auth: null });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/status/page.js">');
    // Even with the script not running, submitting the form puts no token in a URL.
    expect(html).toContain('<form id="login-form" method="post" action="/v1/status/login">');
    expect(html).toMatch(/<input id="token" type="password"(?![^>]*\bname=)[^>]*>/);
    for (const name of ["page.js", "dom.js", "records.js", "views.js", "chart.js", "page.css"]) {
      const r = await d.tcp(`/status/${name}`, { auth: null });
      expect({ name, status: r.status }).toEqual({ name, status: 200 });
      expect((await r.text()).length).toBeGreaterThan(100);
    }
    expect(await json(await d.tcp("/status/nope.js", { auth: null }))).toEqual({
      status: 404, body: { error: { code: "not_found", message: "no file /status/nope.js" } },
    });
    expect((await d.unix("/")).status).toBe(200);
  });

  test("the session probe says how a client gets in", async () => {
    expect((await json(await d.tcp("/v1/status/session", { auth: null }))).body).toEqual({ authenticated: false, via: null });
    expect((await json(await d.tcp("/v1/status/session"))).body).toEqual({ authenticated: true, via: "token" });
    expect((await json(await d.unix("/v1/status/session"))).body).toEqual({ authenticated: true, via: "socket" });
  });
});

describe("login", () => {
  test("a wrong token is a 401 and sets no cookie; a bad body is a 400", async () => {
    const wrong = await d.tcp("/v1/status/login", { method: "POST", auth: null, body: JSON.stringify({ token: "nope" }) });
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await json(wrong)).toEqual({ status: 401, body: { error: { code: "unauthenticated", message: "wrong token" } } });
    for (const body of ["not json", "[]", "{}", '{"token": ""}', '{"token": "x", "more": 1}']) {
      const r = await d.tcp("/v1/status/login", { method: "POST", auth: null, body });
      expect({ body, status: r.status, cookie: r.headers.get("set-cookie") }).toEqual({ body, status: 400, cookie: null });
    }
  });

  test("another origin cannot log the browser in", async () => {
    const r = await d.tcp("/v1/status/login", {
      method: "POST", auth: null, body: JSON.stringify({ token: d.token }),
      headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(r.status).toBe(403);
    expect(r.headers.get("set-cookie")).toBeNull();
  });

  test("the right token gives an HttpOnly, SameSite=Strict cookie naming a session, not the token", async () => {
    const r = await d.tcp("/v1/status/login", { method: "POST", auth: null, body: JSON.stringify({ token: d.token }), headers: sameOrigin() });
    expect(r.status).toBe(200);
    const setCookie = r.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^strata_session=[\w-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(d.token);
    const body = await r.json();
    expect(body).toEqual({ authenticated: true, via: "session", csrf: expect.stringMatching(/^[\w-]{43}$/) });
  });
});

describe("the session cookie", () => {
  test("reads every route; a request that is not the page's own is refused", async () => {
    const { cookie } = await login(d);
    for (const r of everyRoute().filter((r) => r.method === "GET")) {
      const res = await withCookie(cookie, r.path);
      expect({ route: r.path, refused: refused(res) }).toEqual({ route: r.path, refused: false });
    }
    expect((await d.tcp("/v1/du", { auth: null, headers: { cookie: "strata_session=forged" } })).status).toBe(401);
    // A page on another port of this host is the same site: the cookie goes along, and is refused.
    const sameSite = await d.tcp("/v1/du", { auth: null, headers: { cookie, "sec-fetch-site": "same-site" } });
    expect(await json(sameSite)).toEqual({ status: 403, body: { error: { code: "unauthenticated", message: expect.stringContaining("status page") } } });
    const otherOrigin = await d.tcp("/v1/du", { auth: null, headers: { cookie, origin: "http://127.0.0.1:1" } });
    expect(otherOrigin.status).toBe(403);
  });

  test("writes need the session's X-Strata-CSRF header: a cross-site form POST is refused and changes nothing", async () => {
    const { cookie, csrf } = await login(d);
    const draft = await (await d.tcp("/v1/snapshots", { method: "POST", body: "{}" })).json();
    const made = await (await d.tcp(`/v1/records/${draft.id}/commit`, { method: "POST", body: "{}" })).json();
    const form = { method: "POST", body: '{"all": true}', headers: { "content-type": "text/plain" } };
    // What a form on another site sends: the cookie (were SameSite not there), no header.
    const crossSite = await d.tcp("/v1/prune", { ...form, auth: null, headers: { ...form.headers, cookie, origin: "http://evil.example", "sec-fetch-site": "cross-site" } });
    expect(crossSite.status).toBe(403);
    expect(await json(await withCookie(cookie, "/v1/prune", form))).toEqual({
      status: 403, body: { error: { code: "unauthenticated", message: expect.stringContaining("X-Strata-CSRF") } },
    });
    expect((await withCookie(cookie, "/v1/prune", { ...form, headers: { "x-strata-csrf": "wrong" } })).status).toBe(403);
    for (const r of everyRoute().filter((r) => r.method !== "GET")) {
      const res = await withCookie(cookie, r.path, { method: r.method, body: r.body });
      expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, status: 403 });
    }
    expect((await (await d.tcp(`/v1/records/${made.id}`)).json()).id).toBe(made.id);
    // With the header, the page's own write goes through.
    const pruned = await withCookie(cookie, "/v1/prune", { ...form, headers: { "x-strata-csrf": csrf } });
    expect(pruned.status).toBe(200);
    expect((await pruned.text()).trim().split("\n").at(-1)).toMatch(/"summary":\{"records":[1-9]/);
    expect((await d.tcp(`/v1/records/${made.id}`)).status).toBe(404);
  });

  test("logout ends the session, whatever the cookie says afterwards", async () => {
    const { cookie, csrf } = await login(d);
    expect((await withCookie(cookie, "/v1/status/logout", { method: "POST" })).status).toBe(403);
    const out = await withCookie(cookie, "/v1/status/logout", { method: "POST", headers: { "x-strata-csrf": csrf } });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toMatch(/^strata_session=; Max-Age=0; Path=\//);
    expect((await withCookie(cookie, "/v1/du")).status).toBe(401);
    expect((await json(await withCookie(cookie, "/v1/status/session"))).body.authenticated).toBe(false);
  });
});

describe("the bearer token, as before", () => {
  test("opens every route, writes too, with no CSRF header and no cookie", async () => {
    for (const r of everyRoute()) {
      const res = await d.tcp(r.path, { method: r.method, body: r.body });
      expect({ route: `${r.method} ${r.path}`, refused: refused(res) }).toEqual({ route: `${r.method} ${r.path}`, refused: false });
    }
    const logout = await d.tcp("/v1/status/logout", { method: "POST" });
    expect(logout.status).toBe(200);
  });

  test("without it (and without a session) everything but the page and /healthz is a 401", async () => {
    for (const r of everyRoute().filter((r) => r.path !== "/v1/status/session")) {
      const res = await d.tcp(r.path, { method: r.method, body: r.body, auth: null });
      expect({ route: `${r.method} ${r.path}`, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, status: 401 });
    }
  });
});

describe("the data behind the page", () => {
  test("a prune asked for over HTTP is in the history with what it freed; a dry run or a refused one is not", async () => {
    const before = (await (await d.unix("/v1/status/history")).json()).runs.length;
    const a = await (await d.unix("/v1/snapshots", { method: "POST", body: '{"description": "doomed"}' })).json();
    await d.unix(`/v1/records/${a.id}/commit`, { method: "POST", body: "{}" });
    await (await d.unix("/v1/prune", { method: "POST", body: '{"dryRun": true}' })).text();
    expect((await d.unix("/v1/prune", { method: "POST", body: '{"filter": ["colour==red"]}' })).status).toBe(400);
    const lines = (await (await d.unix("/v1/prune", { method: "POST", body: '{"filter": ["description==doomed"]}' })).text()).trim().split("\n");
    const { summary } = JSON.parse(lines.at(-1)!);
    expect(summary.records).toBe(1);
    const runs = await eventually(async () => {
      const { runs } = await (await d.unix("/v1/status/history")).json();
      return runs.length > before ? runs : undefined;
    });
    expect(runs).toHaveLength(before + 1);
    expect(runs[0]).toEqual({
      id: expect.any(Number), trigger: "prune", policy: null, options: { filter: ["description==doomed"] },
      startedAt: expect.any(String), finishedAt: expect.any(String), records: 1, bytes: summary.bytes, runs: 1, error: null,
    });
  });

  test("key gets through the daemon are counted, hits and misses", async () => {
    const made = await (await d.unix("/v1/snapshots", { method: "POST", body: "{}" })).json();
    await d.unix(`/v1/records/${made.id}/commit`, { method: "POST", body: '{"key": "ci-deps-1"}' });
    const before = (await (await d.unix("/v1/status/keys")).json()).counts;
    await d.unix("/v1/keys/ci-deps-1");
    await d.unix("/v1/keys/ci-deps-2?restorePrefix=ci-deps-");
    await d.unix("/v1/keys/ci-deps-3");
    const keys = await (await d.unix("/v1/status/keys?limit=2")).json();
    const counts = { exact: before.exact + 1, prefix: before.prefix + 1, miss: before.miss + 1 };
    const lookups = counts.exact + counts.prefix + counts.miss;
    expect(keys).toEqual({
      counts, lookups, exact: counts.exact / lookups, restored: (counts.exact + counts.prefix) / lookups,
      recent: [
        { at: expect.any(String), name: "ci-deps-3", outcome: "miss", matched: null },
        { at: expect.any(String), name: "ci-deps-2", outcome: "prefix", matched: "ci-deps-1" },
      ],
    });
    expect((await (await d.unix("/v1/status")).json()).keys).toMatchObject({ counts, lookups });
  });

  test("usage now and the policies it is weighed against; a sample was taken at start", async () => {
    const s = await (await d.unix("/v1/status")).json();
    expect(s.usage).toMatchObject({ records: expect.any(Number), used: expect.any(Number), fsSize: expect.any(Number) });
    expect(s.gc.enabled).toBe(false);
    expect(s.gc.policies.map((p: { index: number }) => p.index)).toEqual([0, 1, 2, 3]); // buildkitd's defaults
    expect(s.gc.policies[0]).toMatchObject({ maxUsedSpace: 512e6, keepDurationMs: 48 * 3600e3 });
    const { samples } = await eventually(async () => {
      const r = await (await d.unix("/v1/status/samples?limit=5")).json();
      return r.samples.length ? r : undefined;
    });
    expect(samples[0]).toMatchObject({ at: expect.stringMatching(/^\d{4}-/), records: expect.any(Number) });
  });

  test("limits are validated", async () => {
    for (const q of ["limit=0", "limit=-1", "limit=x", "limit=99999999", "other=1"]) {
      const r = await json(await d.unix(`/v1/status/history?${q}`));
      expect({ q, status: r.status, code: r.body.error.code }).toEqual({ q, status: 400, code: "usage" });
    }
  });

  test("the event stream says when something changed", async () => {
    const events = readEvents(await d.tcp("/v1/status/events"));
    expect(await events.next()).toBe("ready");
    await d.unix("/v1/snapshots", { method: "POST", body: "{}" });
    expect(await events.next()).toBe("change");
    await events.close();
  });

  test("openapi.json describes the status routes and the session cookie", async () => {
    const spec = await (await d.unix("/v1/openapi.json")).json();
    for (const path of ["/", "/v1/status", "/v1/status/samples", "/v1/status/history", "/v1/status/keys", "/v1/status/events", "/v1/status/login"]) {
      expect(spec.paths[path]).toBeDefined();
    }
    expect(spec.paths["/v1/status/login"].post.security).toEqual([]);
    expect(spec.components.securitySchemes.session).toEqual({ type: "apiKey", in: "cookie", name: "strata_session" });
  });
});
