/**
 * The thread behind deflater.ts: one layer's tar bytes in, hashed here (the diffID) and
 * compressed with node:zlib; the compressed bytes go back, copied (zlib may reuse its
 * buffers), and each tar chunk's buffer goes back once zlib is done with it.
 * In: `{ start }` once, `{ chunk }`, `{ end: true }`.
 * Out: `{ back }` (a tar chunk), `{ out }` (compressed bytes), `{ hex }` (last), `{ error }`.
 */
import { compressor, oneAtATime, zlibReady } from "../../layer/compression.ts";
import { toWire } from "../worker.ts";

declare const self: { onmessage: ((ev: MessageEvent) => void) | null; postMessage(m: unknown, t?: Transferable[]): void };

await zlibReady();
const hash = new Bun.CryptoHasher("sha256");
let feed: ReturnType<typeof oneAtATime>;

self.onmessage = (ev: MessageEvent) => {
  const m = ev.data as { start?: "gzip" | "zstd"; chunk?: Uint8Array; end?: true };
  if (m.start) {
    const c = compressor(m.start)!;
    feed = oneAtATime(c);
    c.on("data", (d: Uint8Array) => {
      const out = new Uint8Array(d); // a copy: a Buffer's slice() is a view of zlib's buffer
      self.postMessage({ out }, [out.buffer as ArrayBuffer]);
    });
    c.on("end", () => self.postMessage({ hex: hash.digest("hex") }));
    c.on("error", (err) => self.postMessage({ error: toWire(err) }));
  } else if (m.chunk) {
    const chunk = m.chunk;
    hash.update(chunk);
    feed.push(chunk, () => self.postMessage({ back: chunk }, [chunk.buffer as ArrayBuffer]));
  } else if (m.end) feed.end();
};
