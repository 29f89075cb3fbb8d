/**
 * Who gets in over TCP without a bearer token (SPEC §9). The bearer token still opens
 * every route exactly as before; this is only asked when it is absent or wrong.
 *
 * - The page, its files and the session probe are open: they hold no data. So is login,
 *   which checks the token itself.
 * - Otherwise the session cookie stands in for the token, for the requests the page
 *   makes itself:
 *   - `Sec-Fetch-Site` and `Origin`, where the browser sends them, must name this
 *     server. SameSite=Strict keeps the cookie off other sites' requests, but a page on
 *     another port of the same host is the same *site*, and its form or `<img>` would
 *     carry the cookie; it is refused here (403), a GET too (`path?rw=true` holds a record).
 *   - A write (anything but GET and HEAD) must also carry `X-Strata-CSRF` with the
 *     session's value: a cross-site form cannot set a header, and a cross-site script
 *     cannot read the value.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { errorBody } from "../../api/wire.ts";
import type { Session, SessionTable } from "./session.ts";

export const cookieName = "strata_session";
export const csrfHeader = "x-strata-csrf";

const reads = new Set(["GET", "HEAD"]);

/** Routes anyone may call: the page and its files, the session probe, login. */
export function isOpen(method: string, path: string): boolean {
  if (reads.has(method)) return path === "/" || path.startsWith("/status/") || path === "/v1/status/session";
  return method === "POST" && path === "/v1/status/login";
}

/**
 * Whether a request comes from a page of this server, as far as the browser says.
 * Clients that are not browsers send neither header; they are judged by their token.
 */
export function fromThisOrigin(req: Request): boolean {
  const site = req.headers.get("sec-fetch-site");
  // "none": the user typed the address or opened a bookmark; only ever a navigation.
  const typed = site === "none" && reads.has(req.method);
  if (site !== null && site !== "same-origin" && !typed) return false;
  const origin = req.headers.get("origin");
  if (origin === null) return true;
  try {
    return new URL(origin).host === new URL(req.url).host;
  } catch {
    return false;
  }
}

const digest = (s: string) => createHash("sha256").update(s).digest();
/** Equal strings, in a time that does not depend on where they differ. */
export const sameSecret = (given: string | undefined, want: string) =>
  given !== undefined && timingSafeEqual(digest(given), digest(want));

/** The session a request's cookie names, if live. */
export const sessionOf = (c: Context, sessions: SessionTable): Session | undefined =>
  sessions.find(getCookie(c, cookieName));

/**
 * For a TCP request without a valid bearer token: undefined to let it through, else the
 * refusal (401 without a session, 403 for a session request that is not the page's own).
 */
export function admit(c: Context, sessions: SessionTable): Response | undefined {
  if (isOpen(c.req.method, c.req.path)) return undefined;
  const session = sessionOf(c, sessions);
  if (!session) return c.json(errorBody("unauthenticated", "a valid bearer token is required"), 401);
  if (!fromThisOrigin(c.req.raw)) {
    return c.json(errorBody("unauthenticated", "the session cookie only works for requests from the status page itself"), 403);
  }
  if (!reads.has(c.req.method) && !sameSecret(c.req.header(csrfHeader), session.csrf)) {
    return c.json(errorBody("unauthenticated", "a write with the session cookie needs the page's X-Strata-CSRF header"), 403);
  }
  return undefined;
}
