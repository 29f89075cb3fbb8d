/** The LayerIO port on the content store, the tar reader/writer and node:zlib. */
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { guarded, integrity, isSystemError, missingBlob, StrataError } from "../core/errors.ts";
import type { Compression, LayerIO } from "../core/ports/layers.ts";
import type { ContentStore, Ingest } from "../core/ports/content.ts";
import type { Sys } from "../platform/sys.ts";
import { fileChunks } from "../platform/file-chunks.ts";
import { hasher } from "../platform/hash.ts";
import { Sha256 } from "../platform/sha256.ts";
import { Applier } from "./apply.ts";
import type { FileWriter } from "./files.ts";
import { decompressor, detect, type Inflate, inflated, mediaTypes, type Zstd, zlibReady } from "./compression.ts";
import { changes } from "./diff.ts";
import { upperChanges } from "./overlay/changes.ts";
import { applySteps, type Linker } from "./merge.ts";
import type { Walker } from "./diff.ts";
import { readLayer } from "./read.ts";
import { Compressing, compressingReady, type Deflater, writeLayer } from "./write.ts";

/**
 * An ingest that only hashes: for blobs the store already has. With `callerHashes`, it
 * only counts (the caller hashes the same bytes and gives the digest to `commit`).
 */
function hashOnly(callerHashes: boolean): Ingest {
  const h = callerHashes ? undefined : new Sha256();
  let size = 0;
  return {
    write(c) {
      h?.update(c);
      size += c.length;
    },
    commit: async (digest) => ({ digest: h ? await h.digest() : digest!, size }),
    abort: () => h?.abort(),
  };
}

/**
 * What the runtime offers beyond node's modules: native zstd, and helper threads (Bun):
 * export's deflater, extraction's writer, merging's linker and walker.
 */
export interface Helpers {
  zstd?: () => Zstd | undefined;
  inflate?: () => Inflate | undefined;
  deflater?: Deflater;
  gzip?: (bytes: Uint8Array) => Uint8Array;
  writer?: () => FileWriter;
  linker?: () => Linker;
  walker?: () => Walker;
}

export function layerIO(content: ContentStore, sys: Sys, helpers: Helpers = {}): LayerIO {
  const open = (digest: string) => {
    if (!content.has(digest)) throw missingBlob(`blob ${digest} is not in the content store`);
    return guarded(fileChunks(content.path(digest)), `cannot read blob ${digest} from the content store`, "missing_blob");
  };
  // An uncompressed layer's blob is its tar: hashed once, as the diffID, by whoever reads
  // or writes the tar; its ingest takes that digest.
  const forLayer = (c: Compression, expected?: { digest?: string; size?: number }) =>
    content.ingest(expected, { callerHashes: c === "uncompressed" });
  return {
    async digest(source) {
      const h = hasher("sha256");
      for await (const c of source) h.update(c);
      return `sha256:${h.hex()}`;
    },

    async read(source, opts) {
      let blob: Ingest | undefined;
      const blobFor = (c: Compression) => (blob = opts.store ? forLayer(c, opts.expected) : hashOnly(c === "uncompressed"));
      const applier = opts.dir ? new Applier(opts.dir, sys, helpers.writer, opts.overlay) : undefined;
      try {
        const r = await readLayer(source, { blob: blobFor, tar: applier, diff: applier?.streamHash, zstd: helpers.zstd, inflate: helpers.inflate, progress: opts.progress });
        await applier?.finish();
        const { digest, size } = await blob!.commit(r.compression === "uncompressed" ? r.diffID : undefined);
        if (!opts.store && opts.expected?.digest && opts.expected.digest !== digest) {
          throw integrity(`digest mismatch: expected ${opts.expected.digest}, got ${digest}`);
        }
        return { digest, size, diffID: r.diffID, compression: r.compression, treeSize: applier?.size };
      } catch (err) {
        await applier?.abort();
        blob?.abort();
        throw err;
      }
    },

    open,

    write(lower, upper, compression, progress, opts = {}) {
      const entries = opts.overlay ? upperChanges(sys, lower!, upper) : changes(sys, lower, upper);
      // libzstd is opened only for a zstd layer: a dlopen is ~1 ms of a small export.
      const zstd = compression === "zstd" ? helpers.zstd?.() : undefined;
      return writeLayer(entries, compression, forLayer(compression), progress, { deflater: helpers.deflater, zstd, gzip: helpers.gzip });
    },

    async transcode(digest, compression) {
      const path = content.path(digest);
      if (!content.has(digest)) throw missingBlob(`blob ${digest} is not in the content store`);
      const head = new Uint8Array(4);
      const fd = openSync(path, "r");
      readSync(fd, head, 0, 4, 0);
      closeSync(fd);
      const from = detect(head);
      // Each library is opened only for a side that uses it (node:zlib alone is ~15 ms).
      const zstd = from === "zstd" || compression === "zstd" ? helpers.zstd?.() : undefined;
      // Read natively where the runtime can, as imports read layers.
      const native = from === "zstd" ? zstd && (() => zstd.decompressor()) : from === "gzip" ? helpers.inflate?.() : undefined;
      if (!native && from !== "uncompressed") await zlibReady();
      await compressingReady(compression, zstd);
      const raw = createReadStream(path, { highWaterMark: 1 << 20 });
      const dec = native ? undefined : decompressor(from);
      const plain = (native ? inflated(raw, native) : dec ? raw.pipe(dec) : raw) as AsyncIterable<Uint8Array>;
      const out = new Compressing(compression, forLayer(compression), undefined, zstd);
      try {
        for await (const chunk of plain) await out.write(chunk);
        return await out.finish();
      } catch (err) {
        out.abort();
        if (err instanceof StrataError || isSystemError(err)) throw err;
        throw integrity(`corrupt blob ${digest}: ${(err as Error).message}`);
      }
    },

    applySteps: (dest, steps, opts) => applySteps(sys, dest, steps, opts, helpers),

    mediaType: (c) => mediaTypes[c],
    compressionOf(t) {
      if (t.endsWith("gzip")) return "gzip";
      if (t.endsWith("zstd")) return "zstd";
      return "uncompressed";
    },
  };
}
