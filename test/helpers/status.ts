/** Helpers for the status page's tests: log in as the page does, wait for a condition, read an event stream. */
import type { Daemon } from "./daemon.ts";

/** Logs in over TCP as the page would (same origin): the session cookie and its CSRF value. */
export async function login(d: Daemon): Promise<{ cookie: string; csrf: string }> {
  const r = await d.tcp("/v1/status/login", {
    method: "POST", auth: null, body: JSON.stringify({ token: d.token }),
    headers: { origin: d.url, "sec-fetch-site": "same-origin" },
  });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${await r.text()}`);
  const cookie = r.headers.get("set-cookie")!.split(";")[0]!;
  return { cookie, csrf: (await r.json()).csrf };
}

/**
 * Polls until `fn` gives a value (not undefined), for up to `timeoutMs`: a condition,
 * never a duration, is what a test waits for; the bound is only there to end a hang.
 */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(50);
  }
}

/** The event names of a Server-Sent Events response, one at a time (comments skipped). */
export function readEvents(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  return {
    async next(): Promise<string> {
      for (;;) {
        const end = buf.indexOf("\n\n");
        if (end >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const name = block.split("\n").find((l) => l.startsWith("event: "));
          if (name) return name.slice(7);
          continue;
        }
        const { value, done } = await reader.read();
        if (done) return "end";
        buf += decoder.decode(value, { stream: true });
      }
    },
    close: () => reader.cancel(),
  };
}
