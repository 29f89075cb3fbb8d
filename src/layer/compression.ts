/**
 * Layer compression: detected from the first bytes (gzip 1f 8b, zstd 28 b5 2f fd, else a
 * plain tar), streamed through node:zlib in both directions, or through the runtime's
 * native libraries where it has them: zstd both ways (`Zstd`), gzip's inflate (`Inflate`).
 * Media types follow.
 */
import type { Transform } from "node:stream";

type Zlib = typeof import("node:zlib");
let zlib: Zlib | undefined;

/**
 * node:zlib takes ~15 ms to load in Bun, so it loads when a layer is first read or
 * written, not when the store opens. Call before `compressor`/`decompressor`.
 */
export async function zlibReady(): Promise<void> {
  zlib ??= ((await import("node:zlib")) as { default: Zlib }).default;
}
const z = () => {
  if (!zlib) throw new Error("zlibReady() was not awaited");
  return zlib;
};

export type Compression = "gzip" | "zstd" | "uncompressed";

/**
 * A native (de)compression stream (zstd, or gzip's inflate) that answers at once, without
 * callbacks: `push` one input chunk, then `pull` output into buffers until it returns 0;
 * after `end`, pull the rest.
 */
export interface NativeStream {
  push(input: Uint8Array): void;
  /** Fills `into` from the front; 0 once what was pushed is used up and nothing waits. */
  pull(into: Uint8Array): number;
  /**
   * No more input. Compressing, the following pulls give the frame's end; decompressing,
   * throws if the input stopped inside a frame (or a gzip member).
   */
  end(): void;
  /** Frees the native context: once, however often it is called. */
  free(): void;
}

/** A native gzip decompressor (the runtime's FFI on libz): a new stream per call. */
export type Inflate = () => NativeStream;

/** Native zstd (the runtime's FFI on libzstd). Levels as zstd's: 3 is its default. */
export interface Zstd {
  compressor(level?: number): NativeStream;
  decompressor(): NativeStream;
}

/**
 * Pulls a native stream dry, each piece in memory of its own: callers may keep what they
 * are given, or hand it to another thread. A short piece is copied out, so the buffer
 * serves the next pull.
 */
export function drainer(size = 256 * 1024): (s: NativeStream) => Generator<Uint8Array> {
  let spare: Uint8Array | undefined;
  return function* (s) {
    for (;;) {
      const buf = spare ?? new Uint8Array(size);
      const n = s.pull(buf);
      spare = buf;
      if (!n) return;
      if (n < size / 2) yield buf.slice(0, n);
      else {
        spare = undefined;
        yield buf.subarray(0, n);
      }
    }
  };
}

/** What a compressed stream decompresses to through a native decompressor, chunk by chunk. */
export async function* inflated(raw: AsyncIterable<Uint8Array>, start: () => NativeStream): AsyncGenerator<Uint8Array> {
  const s = start();
  const drain = drainer();
  try {
    for await (const chunk of raw) {
      s.push(chunk);
      yield* drain(s);
    }
    s.end();
  } finally {
    s.free();
  }
}

/**
 * The compression of a blob from its first bytes: gzip's magic, or zstd's frame magic or
 * a skippable frame (0x184D2A50–5F, which zstd streams may start with; a tar never does).
 */
export function detect(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  if ((head[0]! & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) return "zstd";
  return "uncompressed";
}

export const mediaTypes: { [c in Compression]: string } = {
  gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  uncompressed: "application/vnd.oci.image.layer.v1.tar",
};

const known = new Set([
  ...Object.values(mediaTypes),
  "application/vnd.docker.image.rootfs.diff.tar.gzip",
  "application/vnd.docker.image.rootfs.diff.tar.zstd",
  "application/vnd.docker.image.rootfs.diff.tar",
]);
export const isLayerMediaType = (t: string) => known.has(t);

export function decompressor(c: Compression): Transform | undefined {
  if (c === "gzip") return z().createGunzip({ chunkSize: 256 * 1024 });
  if (c === "zstd") return z().createZstdDecompress({ chunkSize: 256 * 1024 });
  return undefined;
}

/**
 * Writes to a compressor one chunk at a time, each after the previous one is consumed.
 * Bun's zstd stream gave different bytes for the same input when chunks queued up
 * while it worked (it takes them together): a layer's blob must not depend on timing.
 * `done` is called once a chunk is consumed; `end` ends the stream after the last.
 */
export function oneAtATime(t: Transform): { push(chunk: Uint8Array, done: () => void): void; end(): void } {
  const queue: [Uint8Array, () => void][] = [];
  let busy = false;
  let ending = false;
  const next = () => {
    const item = queue.shift();
    busy = item !== undefined;
    if (!item) return void (ending && t.end());
    t.write(item[0], () => {
      item[1]();
      next();
    });
  };
  return {
    push(chunk, done) {
      queue.push([chunk, done]);
      if (!busy) next();
    },
    end() {
      ending = true;
      if (!busy) t.end();
    },
  };
}

export function compressor(c: Compression): Transform | undefined {
  if (c === "gzip") return z().createGzip({ level: 6, chunkSize: 256 * 1024 });
  if (c === "zstd") return z().createZstdCompress({ chunkSize: 256 * 1024 });
  return undefined;
}
