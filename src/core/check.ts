/**
 * `check`: every disagreement between the metadata and the disk, and with `repair` the
 * fix for each, touching nothing that is intact. `gc`: what nothing refers to, removed.
 */
import type { LayerDeps } from "./layers.ts";
import { versionMark } from "./refs.ts";
import { dependents, dropMissing, recover } from "./recovery.ts";
import { measure } from "./usage.ts";

export type ProblemKind =
  | "missing-data" | "missing-input" | "orphan-data" | "stale-mount" | "stale-ingest" | "size-cache" | "dangling-parent" | "dangling-twin"
  | "missing-blob" | "blob-digest";

export interface Problem {
  problem: ProblemKind;
  id?: string;
  /** A snapshot key, for damage no record explains. */
  snapshot?: string;
  path?: string;
  detail: string;
  repaired: boolean;
}

export async function check(d: LayerDeps, opts: { repair?: boolean } = {}): Promise<{ problems: Problem[] }> {
  const { store, snapshots, content } = d;
  const problems: Problem[] = [];
  const onDisk = new Set(snapshots.list());
  const { rows, owned, links } = await store.read(async (tx) => ({
    rows: await tx.records.allReady(),
    owned: await tx.records.snapshotKeys(),
    links: await tx.links.all(),
  }));
  const ready = new Map(rows.map((r) => [r.id, r]));

  const missing = rows.filter((r) => r.snapshot !== null && !r.lazy && !r.owner && !onDisk.has(r.snapshot));
  for (const r of missing) {
    problems.push({ problem: "missing-data", id: r.id, detail: `snapshot directory ${r.snapshot} is missing`, repaired: false });
  }
  const orphans = missing.length ? await store.read((tx) => dependents(tx, missing.map((r) => r.id))) : [];
  for (const id of orphans) {
    problems.push({ problem: "missing-input", id, detail: "it cannot be made: a record it is built from lost its data", repaired: false });
  }
  for (const dir of onDisk) {
    if (!owned.has(dir)) problems.push({ problem: "orphan-data", snapshot: dir, detail: `no record owns snapshot ${dir}`, repaired: false });
  }
  const staleMounts = snapshots.mounted().filter((key) => !owned.has(key));
  for (const key of staleMounts) {
    problems.push({ problem: "stale-mount", snapshot: key, detail: `snapshot ${key} is mounted but no record has it`, repaired: false });
  }
  const sizes: [string, number][] = [];
  for (const r of rows) {
    if (r.mutable || r.size === null || r.snapshot === null || !onDisk.has(r.snapshot)) continue;
    const actual = await measure(d, r);
    if (actual !== r.size) {
      sizes.push([r.id, actual]);
      problems.push({ problem: "size-cache", id: r.id, detail: `cached size ${r.size}, actual ${actual}`, repaired: false });
    }
  }
  const dangling = [...new Set(links.filter((l) => ready.has(l.child) && !ready.has(l.parent)).map((l) => l.child))];
  for (const id of dangling) {
    problems.push({ problem: "dangling-parent", id, detail: "a parent record does not exist", repaired: false });
  }
  const twins = rows.filter((r) => r.twin !== null && !ready.has(r.twin));
  for (const r of twins) {
    problems.push({ problem: "dangling-twin", id: r.id, detail: `mutable twin ${r.twin} does not exist`, repaired: false });
  }

  // Blobs: the database's list against the files, and every file against its name.
  const blobRows = await store.read((tx) => tx.blobs.all());
  const missingBlobs = blobRows.filter((b) => !content.has(b.digest)).map((b) => b.digest);
  for (const digest of missingBlobs) {
    problems.push({ problem: "missing-blob", detail: `blob ${digest} is listed but not in the content store`, repaired: false, path: digest });
  }
  const stray = content.strayIngests((o) => d.processes.alive(o));
  for (const name of stray) {
    problems.push({ problem: "stale-ingest", path: `${content.dir}/ingest/${name}`, detail: "a blob a process that died was writing", repaired: false });
  }
  const corrupt: string[] = [];
  for (const digest of content.list()) {
    const actual = await content.rehash(digest);
    if (actual !== digest) {
      corrupt.push(digest);
      problems.push({ problem: "blob-digest", path: content.path(digest), detail: `blob ${digest} hashes to ${actual}`, repaired: false });
    }
  }

  if (opts.repair && problems.length) {
    for (const digest of corrupt) content.remove(digest);
    if (stray.length) content.sweepIngests((o) => d.processes.alive(o));
    for (const key of staleMounts) await snapshots.unmount(key);
    for (const p of problems) if (p.problem === "orphan-data") await snapshots.remove(p.snapshot!);
    await store.write(async (tx) => {
      await dropMissing(tx, missing.map((r) => r.id));
      for (const [id, size] of sizes) await tx.records.update([id], { size });
      if (dangling.length) {
        await tx.links.remove(dangling);
        await tx.records.update(dangling, { kind: "base" });
      }
      if (twins.length) await tx.records.update(twins.map((r) => r.id), { twin: null });
      // A lost or corrupt blob is forgotten; a lazy record that needs it says so when used.
      await tx.blobs.delete([...missingBlobs, ...corrupt]);
      await tx.meta.set(versionMark, snapshots.version());
    });
    for (const p of problems) p.repaired = true;
  }
  // What a process that died set aside for deletion (a prune killed while it deleted):
  // not damage, unfinished work every start-up finishes, which check opens the root
  // without doing; repairing, it is finished here too.
  if (opts.repair) await snapshots.sweep();
  return { problems };
}

/**
 * What nothing refers to, removed at once: snapshot directories without a record, the
 * trash, ingests of processes that died, expired leases, blobs without a record, lease
 * or live writer, lock files of records that are gone. Work in flight is protected by
 * its process's holds, not by a timer.
 */
export async function gc(d: LayerDeps): Promise<{ blobs: number; dirs: number; bytes: number }> {
  const { store, snapshots, content } = d;
  await recover(d, { scan: false });
  let bytes = await snapshots.sweep({ measure: true });
  bytes += content.sweepIngests((o) => d.processes.alive(o));
  const owned = await store.read((tx) => tx.records.snapshotKeys());
  let dirs = 0;
  for (const dir of snapshots.list()) {
    if (owned.has(dir)) continue;
    // Re-check: a row may have been created for it since the read.
    if ((await store.read((tx) => tx.records.stillUsed([dir], []))).has(dir)) continue;
    bytes += await snapshots.usage(dir);
    await snapshots.remove(dir);
    dirs++;
  }
  const now = d.clock.now();
  // The files first, then what refers to them: a blob written meanwhile was held by its
  // writer before its file appeared, so it is seen as referenced.
  const files = content.list();
  const unreferenced = await store.write(async (tx) => {
    const expired = (await tx.leases.list()).filter((l) => l.expiresAt !== null && l.expiresAt <= now);
    await tx.leases.delete(expired.map((l) => l.id));
    await tx.meta.set(versionMark, snapshots.version());
    const referenced = await tx.blobs.referenced();
    const gone = files.filter((digest) => !referenced.has(digest));
    await tx.blobs.delete(gone);
    return gone;
  });
  for (const digest of unreferenced) {
    bytes += content.stat(digest)?.size ?? 0;
    content.remove(digest);
  }
  const locks = d.locks.list();
  const live = new Set((await store.read((tx) => tx.records.ready(locks))).map((r) => r.id));
  d.locks.forget(locks.filter((name) => !live.has(name)));
  return { blobs: unreferenced.length, dirs, bytes };
}
