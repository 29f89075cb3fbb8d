/** Listening with Deno.serve: a unix socket or TCP, each request tagged with how it came. */
import { createReadStream } from "node:fs";
import type { Listen, Listener, SendFile } from "../runtime.ts";

declare const Deno: any;

export function listen(at: Listen, fetch: (req: Request, env: { transport: "unix" | "tcp" }) => Response | Promise<Response>): Listener {
  const transport = at.unix ? "unix" : "tcp";
  const opts = at.unix
    ? { path: at.unix, transport: "unix", onListen() {} }
    : { hostname: at.hostname, port: at.port, onListen() {} };
  const server = Deno.serve(opts, (req: Request) => fetch(req, { transport }));
  const addr = server.addr;
  return {
    address: at.unix ? `unix:${at.unix}` : `http://${addr.hostname}:${addr.port}`,
    stop: () => server.shutdown(),
  };
}

/** A file (or a range of it) as a stream; the caller's Content-Length stands. */
export const sendFile: SendFile = (path, range) => {
  const it = (createReadStream(path, { highWaterMark: 1 << 20, ...range }) as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      const next = await it.next();
      if (next.done) ctl.close();
      else ctl.enqueue(next.value);
    },
    cancel() {
      void it.return?.();
    },
  });
};

/** fetch that reaches a unix socket when asked. */
export function fetchVia(unix: string | undefined): typeof fetch {
  if (!unix) return fetch;
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: unix } });
  return ((url: string, init?: RequestInit) => fetch(url, { ...init, client } as RequestInit)) as typeof fetch;
}
