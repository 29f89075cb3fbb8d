/** Listening with Deno.serve: a unix socket or TCP, each request tagged with how it came. */
import type { Listen, Listener } from "../runtime.ts";

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

/** fetch that reaches a unix socket when asked. */
export function fetchVia(unix: string | undefined): typeof fetch {
  if (!unix) return fetch;
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: unix } });
  return ((url: string, init?: RequestInit) => fetch(url, { ...init, client } as RequestInit)) as typeof fetch;
}
