/**
 * The content store as an OCI image layout under `ROOT/content`: `oci-layout`,
 * `index.json`, `blobs/sha256/<hex>`. Ingest is atomic: a temp file in
 * `ROOT/content/ingest`, hashed while written, fsynced, checked against the expected
 * digest and size, then renamed into place. A mismatch is an integrity error and leaves
 * nothing behind.
 */
import {
  closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync,
  writeSync,
} from "node:fs";
import type { ContentStore, Ingest } from "../core/ports/content.ts";
import { guarded, integrity, usage } from "../core/errors.ts";
import { fileChunks } from "../platform/file-chunks.ts";
import { hasher } from "../platform/hash.ts";
import { Sha256 } from "../platform/sha256.ts";

const hexOf = (digest: string) => {
  const m = digest.match(/^sha256:([0-9a-f]{64})$/);
  if (!m) throw usage(`invalid digest "${digest}"`);
  return m[1]!;
};

/**
 * `hold`: called with a blob's digest before its file appears under blobs/, to keep it
 * from gc until a record refers to it (the process's hold on work in flight).
 */
export function localContent(root: string, owner: string, hold?: (digest: string) => Promise<void>): ContentStore {
  const dir = `${root}/content`;
  const blobs = `${dir}/blobs/sha256`;
  const ingestDir = `${dir}/ingest`;
  mkdirSync(blobs, { recursive: true });
  mkdirSync(ingestDir, { recursive: true });
  if (!existsSync(`${dir}/oci-layout`)) writeFileSync(`${dir}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  if (!existsSync(`${dir}/index.json`)) {
    writeFileSync(`${dir}/index.json`, JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] }));
  }
  const path = (digest: string) => `${blobs}/${hexOf(digest)}`;
  /** Temp files of ingests whose process died: named after their owner (see `ingest`). */
  const stray = (alive: (owner: string) => boolean) =>
    readdirSync(ingestDir).filter((name) => {
      const o = name.split("~")[0]!;
      return o !== owner && !alive(o);
    });

  return {
    dir,
    path,
    has: (digest) => existsSync(path(digest)),
    ingest(expected, opts): Ingest {
      const temp = `${ingestDir}/${owner}~${crypto.randomUUID()}`;
      const fd = openSync(temp, "wx", 0o644);
      const hash = opts?.callerHashes ? undefined : new Sha256();
      let size = 0;
      let open = true;
      const cleanup = () => {
        hash?.abort();
        if (open) closeSync(fd);
        open = false;
        rmSync(temp, { force: true });
      };
      return {
        write(chunk) {
          hash?.update(chunk);
          size += chunk.length;
          let at = 0;
          while (at < chunk.length) at += writeSync(fd, chunk, at);
        },
        async commit(hashed) {
          let digest;
          try {
            if (!hash && !hashed) throw new Error("ingest: the caller's digest is missing");
            digest = hash ? await hash.digest() : hashed!;
            if (expected?.digest && expected.digest !== digest) {
              throw integrity(`digest mismatch: expected ${expected.digest}, got ${digest}`);
            }
            if (expected?.size !== undefined && expected.size !== size) {
              throw integrity(`size mismatch for ${digest}: expected ${expected.size}, got ${size}`);
            }
            fsyncSync(fd);
            closeSync(fd);
            open = false;
            await hold?.(digest);
            renameSync(temp, path(digest));
          } finally {
            cleanup();
          }
          return { digest, size };
        },
        abort: cleanup,
      };
    },
    remove(digest) {
      rmSync(path(digest), { force: true });
    },
    list: () => readdirSync(blobs).filter((h) => /^[0-9a-f]{64}$/.test(h)).map((h) => `sha256:${h}`),
    size() {
      let total = 0;
      for (const h of readdirSync(blobs)) {
        try {
          total += statSync(`${blobs}/${h}`).blocks * 512;
        } catch { /* removed meanwhile */ }
      }
      return total;
    },
    read(digest, range) {
      return guarded(fileChunks(path(digest), range), `cannot read blob ${digest}`, "missing_blob");
    },
    stat(digest) {
      try {
        const st = statSync(path(digest));
        return { size: st.size, mtimeMs: st.mtimeMs };
      } catch {
        return undefined;
      }
    },
    async rehash(digest) {
      const h = hasher("sha256");
      for await (const chunk of fileChunks(path(digest), undefined, { reused: true })) h.update(chunk);
      return `sha256:${h.hex()}`;
    },
    strayIngests: stray,
    sweepIngests(alive) {
      let freed = 0;
      for (const name of stray(alive)) {
        try {
          freed += statSync(`${ingestDir}/${name}`).size;
        } catch { /* gone */ }
        rmSync(`${ingestDir}/${name}`, { force: true });
      }
      return freed;
    },
  };
}
