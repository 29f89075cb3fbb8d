/**
 * `/v1/status/session`, `/login`, `/logout`: how the page learns whether it may read,
 * trades the token for a session cookie, and gives the session up.
 *
 * The token travels only in a POST body; the cookie holds a session id, not the token,
 * and is HttpOnly (no script reads it) and SameSite=Strict (no other site's request
 * carries it). It is not `Secure`: strata serves plain HTTP, on loopback as a rule; a
 * TLS proxy in front changes nothing here. A wrong token is a 401 and sets no cookie.
 */
import type { Context, Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import * as v from "valibot";
import { validate } from "../../api/validate.ts";
import { errorBody } from "../../api/wire.ts";
import { usage } from "../../core/errors.ts";
import type { Env } from "../app.ts";
import type { Log } from "../log.ts";
import { cookieName, fromThisOrigin, sessionOf } from "./guard.ts";
import { sessionMs, type SessionTable } from "./session.ts";

const loginInput = v.strictObject({ token: v.pipe(v.string(), v.minLength(1, "the token is empty"), v.maxLength(4096)) });

/** A JSON object body; anything else is a usage error (400). */
export async function jsonBody(c: Context): Promise<unknown> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw usage("the request body is not valid JSON");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw usage("the request body must be a JSON object");
  return body;
}

/** How a request is let in: the socket needs nothing, TCP a token or a session. */
export type Via = "socket" | "token" | "session";

export function mountLogin(app: Hono<Env>, d: { sessions: SessionTable; authorized(header: string | undefined): boolean; log: Log }) {
  const noStore = { "cache-control": "no-store" };

  app.get("/v1/status/session", (c) => {
    const session = sessionOf(c, d.sessions);
    const via: Via | null = c.env?.transport !== "tcp" ? "socket"
      : d.authorized(c.req.header("authorization")) ? "token"
      : session && fromThisOrigin(c.req.raw) ? "session"
      : null;
    const csrf = via === "session" ? { csrf: session!.csrf } : {};
    return c.json({ authenticated: via !== null, via, ...csrf }, 200, noStore);
  });

  app.post("/v1/status/login", async (c) => {
    // A login forced on the browser by another page would plant a session of someone else's choosing.
    if (!fromThisOrigin(c.req.raw)) return c.json(errorBody("unauthenticated", "log in from the status page itself"), 403);
    const { token } = validate(loginInput, await jsonBody(c));
    if (!d.authorized(`Bearer ${token}`)) {
      d.log("warn", "status page login with a wrong token", {});
      return c.json(errorBody("unauthenticated", "wrong token"), 401, noStore);
    }
    const session = d.sessions.create();
    setCookie(c, cookieName, session.id, { httpOnly: true, sameSite: "Strict", path: "/", maxAge: sessionMs / 1000 });
    return c.json({ authenticated: true, via: "session" satisfies Via, csrf: session.csrf }, 200, noStore);
  });

  // The guard (guard.ts) let this in: by the socket, the token, or the session with its CSRF header.
  app.post("/v1/status/logout", (c) => {
    const session = sessionOf(c, d.sessions);
    if (session) d.sessions.remove(session.id);
    deleteCookie(c, cookieName, { path: "/" });
    return c.json({ authenticated: false }, 200, noStore);
  });
}
