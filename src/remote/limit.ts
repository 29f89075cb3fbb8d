/**
 * At most `n` things at once, first come first served: blob transfers share a registry
 * connection pool and the runner's uplink, and four in flight (docker's default) keeps
 * both busy without a thundering herd of retries when the registry slows down.
 *
 *     const slots = limiter(4);
 *     const release = await slots.acquire();
 *     try { await transfer(); } finally { release(); }
 */

export interface Limiter {
  /** Waits for a slot; the function returned gives it back (once, however often called). */
  acquire(): Promise<() => void>;
  /** Slots in use now. */
  readonly active: number;
}

export function limiter(n: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return {
    get active() {
      return active;
    },
    async acquire() {
      if (active < n) active++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      let done = false;
      return () => {
        if (done) return;
        done = true;
        release();
      };
    },
  };
}
