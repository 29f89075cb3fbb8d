/** Starts a real `strata serve` on a temporary root, on its socket and a loopback port. */
import { rmSync, writeFileSync } from "node:fs";
import { cliCommand } from "./env.ts";

export interface Daemon {
  root: string;
  url: string;
  socket: string;
  token: string;
  proc: ReturnType<typeof Bun.spawn>;
  logs: string[];
  /** fetch over TCP with the token (or the given headers). */
  tcp(path: string, init?: RequestInit & { auth?: string | null }): Promise<Response>;
  /** fetch over the unix socket, no token. */
  unix(path: string, init?: RequestInit): Promise<Response>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export async function startDaemon(root: string, config?: object): Promise<Daemon> {
  const args = [...cliCommand(), "--root", root, "serve", "--listen", "127.0.0.1:0"];
  if (config) {
    writeFileSync(`${root}.config.json`, JSON.stringify(config));
    args.push("--config", `${root}.config.json`);
  }
  const proc = Bun.spawn(args, { stderr: "pipe", stdout: "ignore" });
  const logs: string[] = [];
  const reader = proc.stderr.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let url = "";
  const pump = async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value);
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        logs.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
  };
  const pumped = pump();
  let exited = false;
  void proc.exited.then(() => (exited = true));
  // A loaded machine may take seconds to start it; a daemon that died is not waited for.
  for (const end = Date.now() + 60_000; !url && !exited && Date.now() < end;) {
    const line = logs.find((l) => l.includes('"listening"'));
    if (line) url = JSON.parse(line).addresses.find((a: string) => a.startsWith("http"));
    else await Bun.sleep(10);
  }
  if (!url) throw new Error(`strata serve did not start: ${logs.join("\n")}`);
  const token = (await Bun.file(`${root}/token`).text()).trim();
  const socket = `${root}/strata.sock`;
  return {
    root, url, socket, token, proc, logs,
    tcp(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.auth !== null) headers.set("authorization", init.auth ?? `Bearer ${token}`);
      return fetch(url + path, { ...init, headers });
    },
    unix: (path, init = {}) => fetch(`http://localhost${path}`, { ...init, unix: socket } as RequestInit),
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      const code = await proc.exited;
      // Every line it wrote, up to its last (a child it left may hold the pipe: not forever).
      await Promise.race([pumped, Bun.sleep(10_000)]);
      // The config sits beside the root, outside the directory a test cleans up.
      if (config) rmSync(`${root}.config.json`, { force: true });
      return code;
    },
  };
}
