/**
 * Blobs that live in registries (SPEC §6, BuildKit's lazy blobs with remote providers).
 * A record made by `pull --lazy` knows its blob by descriptor only, and the remote-blobs
 * table knows the repositories it was seen in. The first use that needs the bytes (the
 * tree of a lazy record, an export to a place without the blob) fetches them here:
 * streamed into a content-store ingest, verified by digest and size as they come (the
 * stream throws before its end on a mismatch, so nothing wrong is ever renamed into
 * place), a dropped connection resumed with `Range` by the registry client.
 *
 * A fetch runs inside whatever claim its caller holds (materialize's, for a tree), so two
 * users of one lazy record share one fetch. A blob no repository can give is *missing
 * blob*, whatever the registry said (unreachable, deleted, refused): the record stays
 * lazy and says so when next used.
 */
import { codeOf, missingBlob } from "./errors.ts";
import { keepBlob, type LayerDeps } from "./layers.ts";
import { writing } from "./space.ts";
import type { Progress, Registry, RemoteBlob } from "./ports/registry.ts";
import type { Blob, RecordRow } from "./record.ts";

const blobOf = (r: RecordRow): Blob | null =>
  r.blobDigest ? { digest: r.blobDigest, mediaType: r.blobMediaType!, size: r.blobSize!, diffID: r.blobDiffID! } : null;

/** Streams one blob from `repository` into the content store; nothing is kept unless it is whole and right. */
export async function fetchInto(d: LayerDeps, registry: Registry, repository: string, blob: RemoteBlob, progress?: Progress): Promise<void> {
  // The registry client verifies the digest as the bytes stream; the ingest checks the size.
  const ingest = d.content.ingest({ digest: blob.digest, size: blob.size }, { callerHashes: true });
  try {
    for await (const chunk of await registry.fetchBlob(repository, blob, progress)) ingest.write(chunk);
    await ingest.commit(blob.digest);
  } catch (err) {
    ingest.abort();
    throw writing(d, err, `fetching blob ${blob.digest}`, blob.size);
  }
}

/**
 * Makes a record's blob local: fetched from a repository it is known to live in, tried
 * most recently seen first; listed with the content store's blobs once it is there (the
 * ingest's hold on it then ends: the record keeps it).
 */
export async function fetchLazyBlob(d: LayerDeps, row: RecordRow): Promise<void> {
  const blob = blobOf(row);
  if (!blob) throw missingBlob(`record ${row.id} is lazy and its blob is unknown`);
  return fetchKnownBlob(d, blob, `record ${row.id}`);
}

/** The same for a blob by descriptor; `owner` names what needs it, for messages. */
export async function fetchKnownBlob(d: LayerDeps, blob: Blob, owner: string): Promise<void> {
  const absent = `blob ${blob.digest} of ${owner} is not in the content store`;
  const repositories = await d.store.read((tx) => tx.remoteBlobs.repositories(blob.digest));
  const registry = repositories.length ? await d.registry?.() : undefined;
  if (!registry) throw missingBlob(`${absent}${repositories.length ? ", and no registry is configured here" : ""}`);
  const failures: string[] = [];
  for (const repository of repositories) {
    try {
      await fetchInto(d, registry, repository, blob);
      await d.store.write((tx) => keepBlob(d, tx, blob));
      return;
    } catch (err) {
      // Another repository may still have it; bytes that are wrong or a full disk end here.
      if (codeOf(err) !== "missing_blob" && codeOf(err) !== "remote_refused") throw err;
      failures.push((err as Error).message);
    }
  }
  throw missingBlob(`${absent} and could not be fetched: ${failures.join("; ")}`);
}
