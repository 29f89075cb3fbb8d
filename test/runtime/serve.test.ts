/**
 * The daemon's transports on Bun: an answer may take its time to start, on a unix socket
 * as on TCP, and the CLI's fetch to its daemon waits for it.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { cleanup, repo, tempDir } from "../helpers/env.ts";

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => cleanup(dir));

test("an answer that starts after Bun's idle timeouts still arrives, on both transports", () => {
  // What a client of the daemon waits for: a lazy layer fetched and extracted, a big merge.
  // The server's default is 10 s and the client's 5 minutes, here cut to 1 s; Bun checks
  // them every few seconds, so the answer comes after 14 s (11 s slipped through).
  const script = `
    import { fetchVia, listen } from "${repo}/src/runtime/bun/serve.ts";
    const slow = async (_req, env) => {
      await Bun.sleep(14_000);
      return new Response("answered over " + env.transport);
    };
    const unix = listen({ unix: "${dir}/s.sock" }, slow);
    const tcp = listen({ hostname: "127.0.0.1", port: 0 }, slow);
    const answers = await Promise.all([
      fetchVia("${dir}/s.sock")("http://localhost/").then((r) => r.text(), (e) => String(e)),
      fetchVia(undefined)(tcp.address + "/").then((r) => r.text(), (e) => String(e)),
    ]);
    console.log(JSON.stringify(answers));
    await unix.stop();
    await tcp.stop();
  `;
  const r = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, BUN_CONFIG_HTTP_IDLE_TIMEOUT: "1" } });
  expect(JSON.parse(r.stdout.toString())).toEqual(["answered over unix", "answered over tcp"]);
}, 60_000);
