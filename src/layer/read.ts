/**
 * Reading a layer blob in one pass: the compressed bytes go to the content store (and
 * their digest), the decompressed bytes to the diffID hash and, when applying, through
 * the tar reader into a snapshot. Nothing is ever held whole in memory.
 */
import { once } from "node:events";
import { integrity, isSystemError, StrataError } from "../core/errors.ts";
import type { Ingest } from "../core/ports/content.ts";
import { Sha256 } from "../platform/sha256.ts";
import type { StreamHash } from "./files.ts";
import { type Compression, decompressor, detect, drainer, type Inflate, type NativeStream, type Zstd, zlibReady } from "./compression.ts";
import { TarReader, type TarSink } from "./tar/reader.ts";

export interface LayerRead {
  compression: Compression;
  diffID: string;
}

/** A failure reading a layer: ours and the system's (a full disk, a read error) as they are, the rest a corrupt layer. */
const corrupt = (err: unknown) =>
  err instanceof StrataError || isSystemError(err) ? err : integrity(`corrupt layer: ${(err as Error).message ?? err}`);

/**
 * `diff` hashes the tar stream when given (the extraction's helper thread, which keeps
 * its copy of each chunk after the tar reader saw it, and whose `ready` also waits for
 * the files it is behind on); else a `Sha256`. `zstd` and `inflate` give native zstd and
 * gzip decompression (each asked only for its kind of layer: opening a library is ~1 ms).
 * `blob` makes the blob's ingest once the compression is known (an uncompressed blob is
 * its own diffID, and need not be hashed twice).
 */
export async function readLayer(
  source: AsyncIterable<Uint8Array>,
  to: { blob?: (c: Compression) => Ingest; tar?: TarSink; diff?: StreamHash; zstd?: () => Zstd | undefined; inflate?: () => Inflate | undefined; progress?: (bytes: number) => void },
): Promise<LayerRead> {
  const diff: StreamHash = to.diff ?? new Sha256();
  const reader = to.tar ? new TarReader(to.tar) : undefined;
  const take = async (c: Uint8Array) => {
    reader?.push(c);
    diff.update(c);
    await diff.ready();
  };
  const plain = (chunk: Uint8Array) => take(diff.copy ? diff.copy(chunk) : chunk);
  // Native output goes straight into the hash's own buffers where it keeps copies.
  const fresh = drainer();
  const drain = async (s: NativeStream) => {
    if (!diff.fill) for (const c of fresh(s)) await take(c);
    else for (let c; (c = diff.fill((b) => s.pull(b))).length; ) await take(c);
  };
  let compression: Compression | undefined;
  let native: NativeStream | undefined;
  let blob: Ingest | undefined;
  let dec: ReturnType<typeof decompressor>;
  let draining: Promise<void> | undefined;
  let failed: unknown;
  let bytes = 0;
  try {
    for await (const raw of source) {
      const chunk = raw instanceof Uint8Array ? raw : new Uint8Array(raw as ArrayBuffer);
      if (!chunk.length) continue;
      if (compression === undefined) {
        compression = detect(chunk);
        blob = to.blob?.(compression);
        const zstd = compression === "zstd" ? to.zstd?.() : undefined;
        const inflate = compression === "gzip" ? to.inflate?.() : undefined;
        if (zstd) native = zstd.decompressor();
        else if (inflate) native = inflate();
        else if (compression !== "uncompressed") {
          await zlibReady();
          dec = decompressor(compression);
        }
        if (dec) {
          const d = dec;
          draining = (async () => {
            for await (const out of d) await plain(out as Uint8Array);
          })().catch((err) => {
            failed = err;
          });
        }
      }
      blob?.write(chunk);
      bytes += chunk.length;
      to.progress?.(bytes);
      if (native) {
        native.push(chunk);
        await drain(native);
      } else if (dec) {
        if (failed) throw failed;
        if (!dec.write(chunk)) await Promise.race([once(dec, "drain"), draining]);
        if (failed) throw failed;
      } else await plain(chunk);
    }
    if (compression === undefined) throw integrity("corrupt layer: the blob is empty");
    if (native) native.end();
    else if (dec) {
      dec.end();
      await draining;
      if (failed) throw failed;
    }
    reader?.finish();
  } catch (err) {
    dec?.destroy();
    diff.abort();
    throw corrupt(err);
  } finally {
    native?.free();
  }
  return { compression, diffID: await diff.digest() };
}
