/**
 * Sessions of the status page on TCP (SPEC §9): the page asks for the token once and
 * gets a cookie naming a session, never the token itself.
 *
 * The table lives in the daemon's memory. That makes logout real (the session is gone,
 * whatever a copied cookie says) and keeps nothing about sessions on disk; the price is
 * that a restarted daemon asks for the token again. Each session has a CSRF value the
 * page reads once (a cross-site page cannot read it) and sends back on writes.
 *
 *   const sessions = sessionTable();
 *   const s = sessions.create();          // after the token was checked
 *   sessions.find(s.id)?.csrf === s.csrf
 */
import { randomBytes } from "node:crypto";

export interface Session {
  /** What the cookie holds: 256 random bits. */
  id: string;
  /** What the page sends in `X-Strata-CSRF` on writes. */
  csrf: string;
  expiresAt: number;
}

export interface SessionTable {
  create(): Session;
  /** The live session with this id, if any. */
  find(id: string | undefined): Session | undefined;
  remove(id: string): void;
}

/** A week: the page stays logged in across days of CI, not forever. */
export const sessionMs = 7 * 86400_000;
/** Logins beyond this many live sessions end the oldest: the table cannot grow without bound. */
const maxSessions = 64;

const random = () => randomBytes(32).toString("base64url");

export function sessionTable(now = () => Date.now()): SessionTable {
  // A Map keeps insertion order: the first entry is the oldest session.
  const sessions = new Map<string, Session>();
  return {
    create() {
      for (const [id, s] of sessions) if (s.expiresAt <= now()) sessions.delete(id);
      while (sessions.size >= maxSessions) sessions.delete(sessions.keys().next().value!);
      const s = { id: random(), csrf: random(), expiresAt: now() + sessionMs };
      sessions.set(s.id, s);
      return s;
    },
    find(id) {
      const s = id === undefined ? undefined : sessions.get(id);
      if (s && s.expiresAt <= now()) {
        sessions.delete(s.id);
        return undefined;
      }
      return s;
    },
    remove(id) {
      sessions.delete(id);
    },
  };
}
