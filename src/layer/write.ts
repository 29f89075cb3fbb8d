/**
 * Writing a layer blob in one pass: tar bytes to the diffID hash and the compressor,
 * compressed bytes to the content store (which hashes the digest). Small writes are
 * gathered into 1 MiB chunks first. Where the runtime has a helper thread for it, a
 * big compressed layer is hashed and compressed there (see `LayerOut`).
 */
import { once } from "node:events";
import { closeSync, constants, openSync, readSync } from "node:fs";
import type { Compression } from "../core/ports/layers.ts";
import type { Ingest } from "../core/ports/content.ts";
import { hashHex } from "../platform/hash.ts";
import { Sha256 } from "../platform/sha256.ts";
import { compressor, drainer, oneAtATime, type NativeStream, type Zstd, zlibReady } from "./compression.ts";
import type { Change } from "./diff.ts";
import { headerFor, padding, trailer } from "./tar/writer.ts";

const CHUNK = 1 << 20;
/** Tar bytes gathered before choosing between this thread and a helper. */
const HELP_FROM = 4 << 20;

/**
 * Where a layer's tar bytes go: hashed for the diffID, compressed, stored as the blob.
 * `release` gets the chunk back (maybe as a new view of its buffer) once it may be reused.
 */
export interface LayerOut {
  write(chunk: Uint8Array, release?: (buf: Uint8Array) => void): Promise<void>;
  finish(): Promise<{ diffID: string; digest: string; size: number }>;
  abort(): void;
}

/**
 * A helper thread's LayerOut for a compressed layer (the runtime's `deflater`); `native`
 * asks for the runtime's native zstd, as the caller has it.
 */
export type Deflater = (c: "gzip" | "zstd", blob: Ingest, progress?: (bytes: number) => void, native?: boolean) => LayerOut;

/** Chunks handed to the compressor and not yet consumed, at most. */
const IN_FLIGHT = 4;

/** Loads node:zlib where a `Compressing` of this kind uses it: not for native zstd, nor uncompressed. */
export async function compressingReady(c: Compression, zstd?: Zstd): Promise<void> {
  if (c === "gzip" || (c === "zstd" && !zstd)) await zlibReady();
}

/**
 * A LayerOut on this thread: node:zlib's stream, or native zstd when given; the diffID
 * hashed by `Sha256`. Await `compressingReady` first.
 */
export class Compressing implements LayerOut {
  private diff = new Sha256();
  private comp;
  private feed;
  private native: NativeStream | undefined;
  private drain = drainer();
  private failed: unknown;
  private inFlight = 0;
  private consumed: (() => void) | undefined;
  private total = 0;

  constructor(compression: Compression, private blob: Ingest, private progress?: (bytes: number) => void, zstd?: Zstd) {
    if (compression === "zstd" && zstd) {
      this.native = zstd.compressor();
      return;
    }
    this.comp = compressor(compression);
    this.feed = this.comp && oneAtATime(this.comp);
    this.comp?.on("data", (c: Uint8Array) => blob.write(c));
    this.comp?.on("error", (err) => {
      this.failed = err;
      this.wake();
    });
  }

  /**
   * The compressor works on another thread: a few chunks stay in flight so reading the
   * next one overlaps compressing this one. `release` says when the chunk may be reused.
   */
  async write(chunk: Uint8Array, release?: (buf: Uint8Array) => void): Promise<void> {
    this.diff.update(chunk);
    await this.diff.ready();
    this.total += chunk.length;
    this.progress?.(this.total);
    if (this.native) {
      this.native.push(chunk);
      for (const c of this.drain(this.native)) this.blob.write(c);
      return release?.(chunk);
    }
    if (!this.comp) {
      this.blob.write(chunk);
      return release?.(chunk);
    }
    this.inFlight++;
    this.feed!.push(chunk, () => {
      this.inFlight--;
      release?.(chunk);
      this.wake();
    });
    while (this.inFlight >= IN_FLIGHT && !this.failed) await new Promise<void>((r) => (this.consumed = r));
    if (this.failed) throw this.failed;
  }

  private wake() {
    const f = this.consumed;
    this.consumed = undefined;
    f?.();
  }

  async finish(): Promise<{ diffID: string; digest: string; size: number }> {
    if (this.native) {
      this.native.end();
      for (const c of this.drain(this.native)) this.blob.write(c);
      this.native.free();
    } else if (this.comp) {
      const ended = once(this.comp, "end");
      this.feed!.end();
      await ended;
      if (this.failed) throw this.failed;
    }
    const diffID = await this.diff.digest();
    // Uncompressed, the blob is the tar, its digest the diffID: its ingest does not hash (io.ts).
    const { digest, size } = await this.blob.commit(this.comp || this.native ? undefined : diffID);
    return { diffID, digest, size };
  }

  abort() {
    this.diff.abort();
    this.comp?.destroy();
    this.native?.free();
    this.blob.abort();
  }
}

/**
 * A small gzip layer compressed in one call to the runtime's native gzip (`gzip`), which
 * makes the same bytes as node:zlib's stream: no stream module to load for it. The
 * chunks are kept until then, never handed back. It runs on this thread, a few ms for
 * the 4 MiB at most it is given: exports made together take turns there.
 */
class GzipInOne implements LayerOut {
  private chunks: Uint8Array[] = [];
  private total = 0;

  constructor(private gzip: (bytes: Uint8Array) => Uint8Array, private blob: Ingest, private progress?: (bytes: number) => void) {}

  async write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk);
    this.total += chunk.length;
    this.progress?.(this.total);
  }

  async finish(): Promise<{ diffID: string; digest: string; size: number }> {
    const tar = new Uint8Array(this.total);
    let at = 0;
    for (const c of this.chunks.splice(0)) (tar.set(c, at), (at += c.length));
    this.blob.write(this.gzip(tar));
    const { digest, size } = await this.blob.commit();
    return { diffID: `sha256:${hashHex("sha256", tar)}`, digest, size };
  }

  abort() {
    this.blob.abort();
  }
}

/**
 * Opens a snapshot's file to read it without changing it: the first read after a copy
 * would set each file's atime, an inode write per file (a quarter of export's reading
 * time on a fresh record). Only the owner or root may ask; for anyone else, once
 * refused, files open as usual.
 */
let noAtime = constants.O_NOATIME ?? 0;
function openToRead(path: string): number {
  if (noAtime) {
    try {
      return openSync(path, constants.O_RDONLY | noAtime);
    } catch (err) {
      if ((err as { code?: string }).code !== "EPERM") throw err;
      noAtime = 0;
    }
  }
  return openSync(path, "r");
}

export async function writeLayer(
  changes: Iterable<Change>,
  compression: Compression,
  blob: Ingest,
  progress?: (bytes: number) => void,
  helpers: { deflater?: Deflater; zstd?: Zstd; gzip?: (bytes: Uint8Array) => Uint8Array } = {},
): Promise<{ diffID: string; digest: string; size: number }> {
  const { deflater, zstd, gzip } = helpers;
  // The first 4 MiB wait here: a small layer is done before a helper thread would start.
  let out: LayerOut | undefined;
  const waiting: Uint8Array[] = [];
  let waitingBytes = 0;
  const choose = async (end: boolean) => {
    if (deflater && compression !== "uncompressed" && !end) out = deflater(compression, blob, progress, zstd !== undefined);
    else if (end && compression === "gzip" && gzip) out = new GzipInOne(gzip, blob, progress);
    else {
      // node:zlib loads only where this thread compresses with it (the helper has its own).
      await compressingReady(compression, zstd);
      out = new Compressing(compression, blob, progress, zstd);
    }
    for (const c of waiting.splice(0)) await out.write(c, back);
  };
  // Chunk buffers come back once consumed: fresh memory for every MiB cost page faults.
  const pool: Uint8Array[] = [];
  const back = (b: Uint8Array) => void pool.push(new Uint8Array(b.buffer, 0, CHUNK));
  let buf: Uint8Array = new Uint8Array(CHUNK);
  let used = 0;
  const flush = async () => {
    if (!used) return;
    const chunk = buf.subarray(0, used);
    buf = pool.pop() ?? new Uint8Array(CHUNK);
    used = 0;
    if (out) return out.write(chunk, back);
    waiting.push(chunk);
    waitingBytes += chunk.length;
    if (waitingBytes >= HELP_FROM) await choose(false);
  };
  /**
   * `n` bytes into the chunks, `part(at, from, k)` placing each piece. A promise only
   * when a full chunk goes out: most headers and paddings fit, and an await per entry
   * cost a microtask each.
   */
  const place = (n: number, part: (at: number, from: number, k: number) => void): Promise<void> | undefined => {
    if (used + n < CHUNK) {
      part(used, 0, n);
      used += n;
      return;
    }
    return (async () => {
      for (let from = 0; from < n; ) {
        const k = Math.min(n - from, CHUNK - used);
        part(used, from, k);
        used += k;
        from += k;
        if (used === CHUNK) await flush();
      }
    })();
  };
  const put = (bytes: Uint8Array) => place(bytes.length, (at, from, k) => buf.set(bytes.subarray(from, from + k), at));
  // Zeros written in place: the chunk buffers are reused.
  const zeros = (n: number) => place(n, (at, _, k) => buf.fill(0, at, at + k));
  try {
    for (const { entry, source } of changes) {
      const headed = put(headerFor(entry));
      if (headed) await headed;
      if (!source) continue;
      // File data straight into the chunk buffer; a file that changed size since its
      // header was written is cut or zero-filled to the header's size.
      const fd = openToRead(source);
      try {
        let left = entry.size;
        while (left > 0) {
          if (used === CHUNK) await flush();
          const want = Math.min(left, CHUNK - used);
          let got = readSync(fd, buf, used, want, null);
          if (got === 0) {
            buf.fill(0, used, used + want);
            got = want;
          }
          used += got;
          left -= got;
        }
      } finally {
        closeSync(fd);
      }
      const padded = zeros(padding(entry.size));
      if (padded) await padded;
    }
    await put(trailer());
    await flush();
    if (!out) await choose(true);
    return await out!.finish();
  } catch (err) {
    if (out) out.abort();
    else blob.abort();
    throw err;
  }
}
