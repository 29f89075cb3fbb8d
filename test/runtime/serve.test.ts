/** Listening on Bun: a request may take its time to answer, on a unix socket as on TCP. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { listen } from "../../src/runtime/bun/serve.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => cleanup(dir));

test("an answer that starts after Bun's default idle timeout (10 s) still arrives, on both transports", async () => {
  // What a client of the daemon waits for: a lazy layer fetched and extracted, a big merge.
  // 14 s: Bun checks its timeouts every few seconds, so an 11 s answer slipped through.
  const slow = async (_req: Request, env: { transport: string }) => {
    await Bun.sleep(14_000);
    return new Response(`answered over ${env.transport}`);
  };
  const unix = listen({ unix: `${dir}/s.sock` }, slow);
  const tcp = listen({ hostname: "127.0.0.1", port: 0 }, slow);
  try {
    const [overUnix, overTcp] = await Promise.all([
      fetch("http://localhost/", { unix: `${dir}/s.sock` } as RequestInit).then((r) => r.text()),
      fetch(`${tcp.address}/`).then((r) => r.text()),
    ]);
    expect(overUnix).toBe("answered over unix");
    expect(overTcp).toBe("answered over tcp");
  } finally {
    await unix.stop();
    await tcp.stop();
  }
}, 60_000);
