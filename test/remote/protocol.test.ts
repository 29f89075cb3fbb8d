/** The small pieces of the wire: challenges, Retry-After, backoff, Link, error bodies. */
import { expect, test } from "bun:test";
import { parseChallenges } from "../../src/remote/challenge.ts";
import { readError, scrub, statusLine } from "../../src/remote/refusal.ts";
import { backoffMs, defaultRetry, retryAfterMs, retrying, Transient } from "../../src/remote/retry.ts";
import { nextLink } from "../../src/remote/tags.ts";

test("WWW-Authenticate: Bearer with quoted parameters, Basic, several in one header", () => {
  expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"')).toEqual([
    { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/alpine:pull" } },
  ]);
  expect(parseChallenges('Basic realm="a \\"quoted\\" realm", Bearer realm=https://x/token, error="insufficient_scope"')).toEqual([
    { scheme: "basic", params: { realm: 'a "quoted" realm' } },
    { scheme: "bearer", params: { realm: "https://x/token", error: "insufficient_scope" } },
  ]);
  expect(parseChallenges('Bearer realm="r",scope="repository:a:pull,push repository:b:pull"')[0]!.params.scope).toBe("repository:a:pull,push repository:b:pull");
  expect(parseChallenges(null)).toEqual([]);
});

test("Retry-After in seconds or as an HTTP date, bounded", () => {
  const now = Date.parse("2026-11-30T12:00:00Z");
  expect(retryAfterMs("1", now)).toBe(1000);
  expect(retryAfterMs("Mon, 30 Nov 2026 12:00:05 GMT", now)).toBe(5000);
  expect(retryAfterMs("Mon, 30 Nov 2026 11:00:00 GMT", now)).toBe(0);
  expect(retryAfterMs("86400", now)).toBe(60_000);
  expect(retryAfterMs("soon", now)).toBeUndefined();
  expect(retryAfterMs(null, now)).toBeUndefined();
});

test("backoff doubles, stays under its cap and always waits at least half", () => {
  const at = (random: number) => [1, 2, 3, 4, 10].map((n) => backoffMs({ ...defaultRetry, random: () => random }, n));
  expect(at(0)).toEqual([125, 250, 500, 1000, 5000]);
  expect(at(0.999).every((ms, i) => ms <= [250, 500, 1000, 2000, 10_000][i]!)).toBe(true);
});

test("retrying stops at the first success, or after the attempts with the last message", async () => {
  const sleeps: number[] = [];
  const policy = { ...defaultRetry, sleep: async (ms: number) => void sleeps.push(ms), random: () => 0 };
  let n = 0;
  expect(await retrying(policy, async () => (++n < 3 ? Promise.reject(new Transient("busy", 700)) : "ok"))).toBe("ok");
  expect(sleeps).toEqual([700, 700]);
  const err = await retrying(policy, async (i) => Promise.reject(new Transient(`try ${i}`))).catch((e) => e);
  expect(err).toMatchObject({ code: "remote_refused", message: "try 5 (gave up after 5 attempts)" });
  await expect(retrying(policy, async () => Promise.reject(new Error("not transient")))).rejects.toThrow("not transient");
});

test("Link rel=next, with or without quotes, among other links", () => {
  expect(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"')).toBe("/v2/a/tags/list?n=2&last=b");
  expect(nextLink('<https://x/first>; rel="first", <https://x/2>; rel=next')).toBe("https://x/2");
  expect(nextLink('<https://x/prev>; rel="prev"')).toBeUndefined();
  expect(nextLink(null)).toBeUndefined();
});

test("the registry's error body becomes one line; secrets in it are scrubbed", async () => {
  const body = JSON.stringify({ errors: [{ code: "DENIED", message: "user ci with password hunter2 may not\npush" }, { code: "UNAUTHORIZED" }] });
  const said = await readError(new Response(body, { status: 403 }));
  expect(said).toEqual({ code: "DENIED,UNAUTHORIZED", message: "user ci with password hunter2 may not\npush" });
  expect(statusLine("PUT reg/v2/a/manifests/v1", 403, said, ["hunter2"])).toBe("PUT reg/v2/a/manifests/v1: HTTP 403 DENIED,UNAUTHORIZED: user ci with password *** may not push");
  expect(await readError(new Response("<html>bad gateway</html>", { status: 502 }))).toEqual({});
  expect(await readError(Response.json({ error: "invalid_grant", error_description: "refresh token expired" }))).toEqual({ code: "invalid_grant", message: "refresh token expired" });
  expect(await readError(Response.json({ details: "incorrect username or password" }))).toEqual({ message: "incorrect username or password" });
  expect(scrub("a-secret-b", ["secret", "ab"])).toBe("a-***-b");
});
