/**
 * Bounded retries. A registry that answers 429 or a 5xx, or a connection that drops, is
 * worth another try after a pause: the server's `Retry-After` when it gives one (seconds
 * or an HTTP date), else exponential backoff with jitter, so many CI jobs that failed
 * together do not come back together. After `attempts` tries the last failure is
 * *remote refused*, carrying what the registry said. Only operations that are safe to
 * repeat go through here; an upload repeats as a whole (see upload.ts).
 *
 * `sleep` and `random` are injectable so tests run without waiting.
 */
import { remoteRefused } from "../core/errors.ts";

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The first pause; each one after doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1): the jitter. */
  random(): number;
}

export const defaultRetry: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** The longest a `Retry-After` is obeyed: beyond it a CI job is better off failing. */
const MAX_RETRY_AFTER_MS = 60_000;

/** A failure worth another try. Never escapes `retrying`. */
export class Transient extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
    this.name = "Transient";
  }
}

/** 429 and the 5xx that mean "not now" (501 and 505 will not change). */
export const isTransientStatus = (status: number) => status === 429 || (status >= 500 && status !== 501 && status !== 505);

/** `Retry-After` in milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

/** The pause before try `attempt + 1`: half fixed, half random, so it always backs off. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(full / 2 + (policy.random() * full) / 2);
}

/** Runs `op` until it succeeds, throws something not `Transient`, or the tries run out. */
export async function retrying<T>(policy: RetryPolicy, op: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (!(err instanceof Transient)) throw err;
      if (attempt >= policy.attempts) throw remoteRefused(`${err.message} (gave up after ${attempt} attempts)`);
      await policy.sleep(err.retryAfterMs ?? backoffMs(policy, attempt));
    }
  }
}
