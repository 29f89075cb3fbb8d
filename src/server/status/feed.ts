/**
 * Live updates for the status page: Server-Sent Events on `/v1/status/events`. An event
 * says only "something changed"; the page then fetches what it shows, through the same
 * JSON routes any client uses, so there is one shape of every answer.
 *
 * What moves the feed: this daemon's writes (announced by `notify`, from the app's
 * `changed` hook), and the store's marker, polled once a second while a page listens,
 * which moves with the status tables (samples, history, key lookups) and with commits
 * by other processes (a prune's helper process, a CLI that opened the root itself).
 * Bursts are coalesced into one event.
 *
 * Streams end when the feed closes: a daemon stopping waits for open requests, and an
 * event stream would otherwise keep it waiting forever.
 */
import type { Log } from "../log.ts";

export interface ChangeFeed {
  /** This process changed the store: tell the pages. */
  notify(): void;
  /**
   * An event stream that lasts until the client leaves or the feed closes. A client
   * that leaves cancels the body (Bun and Deno both do), which is how it is let go; the
   * request's abort signal is not used, as Deno's fires on every finished response.
   */
  stream(): Response;
  close(): void;
}

interface Client {
  send(text: string): void;
  end(): void;
}

const encoder = new TextEncoder();

export function changeFeed(
  marker: () => Promise<string>,
  d: { log: Log; pollMs?: number; pingMs?: number; coalesceMs?: number },
): ChangeFeed {
  const clients = new Set<Client>();
  let closed = false;
  let pending: ReturnType<typeof setTimeout> | undefined;
  let poller: ReturnType<typeof setInterval> | undefined;
  let pinger: ReturnType<typeof setInterval> | undefined;
  let last: string | undefined;
  let polling = false;

  const broadcast = (text: string) => {
    for (const c of clients) c.send(text);
  };

  const notify = () => {
    if (closed || pending || !clients.size) return;
    pending = setTimeout(() => {
      pending = undefined;
      broadcast("event: change\ndata: {}\n\n");
    }, d.coalesceMs ?? 100);
  };

  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      const now = await marker();
      if (last !== undefined && now !== last) notify();
      last = now;
    } catch (err) {
      d.log("warn", "status feed could not read the store", { error: String(err) });
    } finally {
      polling = false;
    }
  };

  const watch = (on: boolean) => {
    if (on && !poller) {
      last = undefined;
      void poll();
      poller = setInterval(poll, d.pollMs ?? 1000);
      // A comment line now and then keeps proxies and idle timers from closing the stream.
      pinger = setInterval(() => broadcast(": ping\n\n"), d.pingMs ?? 15_000);
    } else if (!on && poller) {
      clearInterval(poller);
      clearInterval(pinger);
      poller = pinger = undefined;
    }
  };

  const leave = (c: Client) => {
    clients.delete(c);
    if (!clients.size) watch(false);
  };

  return {
    notify,
    stream() {
      let client: Client;
      const body = new ReadableStream<Uint8Array>({
        start(ctl) {
          client = {
            send: (text) => {
              try {
                ctl.enqueue(encoder.encode(text));
              } catch {
                leave(client); // the client went away between two events
              }
            },
            end: () => {
              leave(client);
              try {
                ctl.close();
              } catch { /* already closed */ }
            },
          };
          // Reconnect after 2 s if the stream breaks; a first line so the page knows it is live.
          ctl.enqueue(encoder.encode("retry: 2000\nevent: ready\ndata: {}\n\n"));
          if (closed) return client.end();
          clients.add(client);
          watch(true);
        },
        cancel() {
          leave(client);
        },
      });
      return new Response(body, {
        headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" },
      });
    },
    close() {
      closed = true;
      if (pending) clearTimeout(pending);
      for (const c of [...clients]) c.end();
      watch(false);
    },
  };
}
