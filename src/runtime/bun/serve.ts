/** Listening with Bun.serve: a unix socket or TCP, each request tagged with how it came. */
import type { Listen, Listener, SendFile } from "../runtime.ts";

export function listen(at: Listen, fetch: (req: Request, env: { transport: "unix" | "tcp" }) => Response | Promise<Response>): Listener {
  // No idle timeout on either: Bun's default (10 s) cut a request whose answer took
  // longer to start, a lazy layer's extraction or a big merge. A unix socket has it too,
  // though Bun's types leave the option out there.
  const server = at.unix
    ? Bun.serve({ unix: at.unix, fetch: (req: Request) => fetch(req, { transport: "unix" }), idleTimeout: 0 } as unknown as Parameters<typeof Bun.serve>[0])
    : Bun.serve({ hostname: at.hostname, port: at.port, fetch: (req) => fetch(req, { transport: "tcp" }), idleTimeout: 0 });
  return {
    address: at.unix ? `unix:${at.unix}` : `http://${server.hostname}:${server.port}`,
    stop: async () => {
      await server.stop();
    },
  };
}

/** A file (or a range of it) as a sized body: Bun sends it from the kernel. */
export const sendFile: SendFile = (path, range) => {
  const f = Bun.file(path);
  return range ? f.slice(range.start, range.end + 1) : f;
};

/**
 * fetch that reaches a unix socket when asked, for the CLI talking to its daemon: it waits
 * as long as the work takes (Bun's fetch gives up on an answer that has not started
 * within 5 minutes: a big merge or a lazy layer asked through the daemon may take longer).
 */
export function fetchVia(unix: string | undefined): typeof fetch {
  return ((url: string, init?: RequestInit) => fetch(url, { timeout: false, ...init, ...(unix ? { unix } : {}) } as RequestInit)) as typeof fetch;
}
