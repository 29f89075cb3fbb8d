/**
 * The bearer token for TCP listeners: made on first start in `ROOT/token` (mode 0600),
 * compared in constant time. The unix socket needs none: its mode 0600 is the lock.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";

export function ensureToken(root: string): string {
  const file = `${root}/token`;
  if (!existsSync(file)) {
    try {
      writeFileSync(file, randomBytes(32).toString("hex") + "\n", { mode: 0o600, flag: "wx" });
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err; // another daemon made it first
    }
  }
  chmodSync(file, 0o600);
  return readFileSync(file, "utf8").trim();
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * A checker for one token. Hashing first makes both sides the same length, so the
 * comparison takes the same time whatever was given.
 */
export function tokenChecker(token: string): (header: string | undefined) => boolean {
  const want = digest(token);
  return (header) => {
    const given = header?.startsWith("Bearer ") ? header.slice(7).trim() : "";
    return timingSafeEqual(digest(given), want) && given.length > 0;
  };
}
