/**
 * The thread behind deflater.ts: one layer's tar bytes in, hashed here (the diffID) and
 * compressed, zstd through libzstd where the host has it (see zstd.ts), else with
 * node:zlib. The compressed bytes go back in buffers of their own (zlib may reuse its
 * buffers), and each tar chunk's buffer goes back once the compressor is done with it.
 * In: `{ start, native }` once, `{ chunk }`, then `{ end: true }` or `{ abort: true }`.
 * Out: `{ back }` (a tar chunk), `{ out }` (compressed bytes), `{ hex }` (last), `{ error }`,
 * `{ aborted }` (the compressor is freed: the thread may be terminated).
 */
import { compressor, drainer, type NativeStream, oneAtATime, zlibReady } from "../../layer/compression.ts";
import { toWire } from "../../platform/worker.ts";
import { zstd } from "./zstd.ts";

declare const self: { onmessage: ((ev: MessageEvent) => void) | null; postMessage(m: unknown, t?: Transferable[]): void };

const hash = new Bun.CryptoHasher("sha256");
const send = (out: Uint8Array) => self.postMessage({ out }, [out.buffer as ArrayBuffer]);
let failed = false;
const fail = (err: unknown) => {
  if (!failed) self.postMessage({ error: toWire(err) });
  failed = true;
};

/** A tar chunk in, compressed; `done` once its buffer may go back. */
type Feed = { push(chunk: Uint8Array, done: () => void): void; end(): void; abort(): void };

function native(s: NativeStream): Feed {
  const drain = drainer();
  return {
    push(chunk, done) {
      try {
        s.push(chunk);
        for (const c of drain(s)) send(c);
      } catch (err) {
        s.free();
        throw err;
      }
      done();
    },
    end() {
      try {
        s.end();
        for (const c of drain(s)) send(c);
      } finally {
        s.free();
      }
      self.postMessage({ hex: hash.digest("hex") });
    },
    abort: () => s.free(),
  };
}

async function zlib(compression: "gzip" | "zstd"): Promise<Feed> {
  await zlibReady();
  const c = compressor(compression)!;
  c.on("data", (d: Uint8Array) => send(new Uint8Array(d))); // a copy: a Buffer's slice() is a view of zlib's buffer
  c.on("end", () => self.postMessage({ hex: hash.digest("hex") }));
  c.on("error", fail);
  return { ...oneAtATime(c), abort: () => c.destroy() };
}

let feed: Promise<Feed> | undefined;

self.onmessage = (ev: MessageEvent) => {
  const m = ev.data as { start?: "gzip" | "zstd"; native?: boolean; chunk?: Uint8Array; end?: true; abort?: true };
  if (m.start) {
    const z = m.start === "zstd" && m.native ? zstd() : undefined;
    feed = z ? Promise.resolve(native(z.compressor())) : zlib(m.start);
    return;
  }
  if (m.abort) {
    void feed!.then((f) => f.abort(), () => {}).finally(() => self.postMessage({ aborted: true }));
    return;
  }
  // In order: a message waits for node:zlib's load only the first time.
  feed = feed!.then((f) => {
    if (m.chunk) {
      const chunk = m.chunk;
      hash.update(chunk);
      f.push(chunk, () => self.postMessage({ back: chunk }, [chunk.buffer as ArrayBuffer]));
    } else if (m.end) f.end();
    return f;
  });
  feed.catch(fail);
};
