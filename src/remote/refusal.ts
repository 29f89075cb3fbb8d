/**
 * What a registry said when it said no, as one line: the HTTP status and the code and
 * message of its error body (distribution-spec `{"errors":[{"code","message"}]}`, or a
 * token service's OAuth `{"error","error_description"}`).
 * Error bodies and runtime errors are text from outside, so every secret the client
 * holds for the host is scrubbed from them here, the one place such text enters a
 * message.
 */
import { remoteRefused, type StrataError } from "../core/errors.ts";

export interface Said {
  code?: string;
  message?: string;
}

/** Bytes of an error body read at most: enough for any registry's JSON, bounded for a hostile one. */
const LIMIT = 16 << 10;

async function head(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.length;
    }
  } catch {
    // A body that breaks off says no less than the status did.
  } finally {
    void reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) all.set(p, (at += p.length) - p.length);
  return new TextDecoder().decode(all.subarray(0, LIMIT));
}

/** The code and message of a response's error body; empty when it has none. */
export async function readError(res: Response): Promise<Said> {
  const text = await head(res);
  let body: { errors?: { code?: unknown; message?: unknown }[]; error?: unknown; error_description?: unknown; details?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  const first = Array.isArray(body?.errors) ? body.errors[0] : undefined;
  if (first) {
    const codes = body.errors!.map((e) => String(e?.code ?? "")).filter(Boolean);
    return { code: codes.join(",") || undefined, message: str(first.message) };
  }
  // Token services answer in OAuth's shape (RFC 6749 §5.2), Docker Hub's in its own.
  return { code: str(body?.error), message: str(body?.error_description) ?? str(body?.details) };
}

/** Replaces every secret with `***` (the caller lists encoded forms too). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join("***");
  return out;
}

/** `GET host/v2/…` for a message: no query string, where upload state and signatures live. */
export const describeRequest = (method: string, url: URL) => `${method} ${url.host}${url.pathname}`;

/** `WHAT: HTTP 401 UNAUTHORIZED: authentication required`. */
export function statusLine(what: string, status: number, said: Said, secrets: readonly string[]): string {
  let line = `${what}: HTTP ${status}`;
  if (said.code) line += ` ${said.code}`;
  if (said.message) line += `: ${said.message.replace(/\s+/g, " ").slice(0, 300)}`;
  return scrub(line, secrets);
}

/** The response as a *remote refused* error. */
export async function refused(what: string, res: Response, secrets: readonly string[], hint = ""): Promise<StrataError> {
  return remoteRefused(statusLine(what, res.status, await readError(res), secrets) + hint);
}

/** A thrown value (a dropped connection, a TLS failure) as one clean line. */
export function reason(err: unknown, secrets: readonly string[]): string {
  const e = err as { message?: unknown; cause?: { message?: unknown } };
  const own = typeof e?.message === "string" ? e.message : String(err);
  // Deno says "fetch failed" and keeps the reason in `cause`.
  const cause = typeof e?.cause?.message === "string" && e.cause.message !== own ? `: ${e.cause.message}` : "";
  return scrub(`${own}${cause}`.replace(/\s+/g, " "), secrets);
}
