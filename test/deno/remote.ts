/**
 * The registry client on Deno, with Deno's `fetchTrusting`: resolves a reference and
 * fetches (and so verifies) every blob of the image. test/remote/tls.test.ts runs it
 * against a TLS registry with a private CA; by hand:
 *
 *     deno run -A test/deno/remote.ts 127.0.0.1:5000/repo:tag [CA_FILE]
 *
 * Prints `{digest, mediaType, blobs: [{digest, size}]}`, or `{error: {code, message}}`
 * and exits 1.
 */
import { createRegistry } from "../../src/remote/client.ts";
import { fetchTrusting } from "../../src/runtime/deno/fetch.ts";

declare const Deno: { args: string[]; exit(code: number): never };

const [ref, caFile] = Deno.args;
try {
  const registry = createRegistry({ fetch: fetchTrusting(caFile), retry: { attempts: 2, baseDelayMs: 10 } });
  const { repository, manifest } = await registry.resolve(ref!);
  const blobs = [];
  for (const d of [manifest.config, ...manifest.layers]) {
    let size = 0;
    for await (const chunk of await registry.fetchBlob(repository, d)) size += chunk.length;
    blobs.push({ digest: d.digest, size });
  }
  console.log(JSON.stringify({ digest: manifest.digest, mediaType: manifest.mediaType, blobs }));
} catch (err) {
  const e = err as { code?: string; message?: string };
  console.log(JSON.stringify({ error: { code: e.code ?? "error", message: e.message ?? String(err) } }));
  Deno.exit(1);
}
