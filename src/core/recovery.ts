/**
 * Start-up recovery (SPEC §3.14). Cheap when there is nothing to do: a read of hold
 * owners and row states, and one stat of the snapshot directory. Then it:
 * - ends holds of processes that died and holds that expired (counting their use);
 * - removes rows a dead process was creating, with their half-made directories;
 * - finishes removals that were interrupted (`deleting` rows of no live process, the trash);
 * - repairs twins whose mutable half is gone;
 * - unmounts snapshots no row explains (a crash between mounting and recording);
 * - when the snapshot directory changed behind strata's back, drops rows whose data
 *   is missing (children with a tree of their own become bases; those without one, an
 *   unmaterialized merge, diff or lazy layer on them, go too) and deletes
 *   directories no row owns. While another live process creates, makes or removes
 *   records, the change may be its own (noted when it is done): a later start-up looks.
 */
import { aliveOnce } from "./ports/host.ts";
import { isLeaseOwner } from "./ports/leases.ts";
import type { Deps } from "./refs.ts";
import { markDeleting, removeMarked, versionMark } from "./refs.ts";
import type { RecordRow } from "./record.ts";
import type { Tx } from "./ports/metadata.ts";

export interface Recovered {
  deadHolders: number;
  unfinished: number;
  missing: string[];
  strayDirs: string[];
  staleMounts: string[];
}

/** `scan: false` leaves damage for `check` to report; `full` scans even if nothing changed. */
export async function recover(d: Deps, opts: { full?: boolean; scan?: boolean } = {}): Promise<Recovered> {
  const { store, snapshots, processes } = d;
  const out: Recovered = { deadHolders: 0, unfinished: 0, missing: [], strayDirs: [], staleMounts: [] };
  const version = snapshots.version();

  const seen = await store.read(async (tx) => ({
    owners: await tx.holds.owners(),
    expired: await tx.holds.anyExpired(),
    unfinished: await tx.records.inState(),
    mark: await tx.meta.get(versionMark),
  }));
  const alive = aliveOnce(processes);
  const dead = seen.owners.filter((o) => !isLeaseOwner(o) && !alive(o));
  out.deadHolders = dead.length;

  // Removals a live process is making are its own to finish: taking them over here
  // made a command started during a prune delete directories for it (~0.2 s).
  // Nor this process's own: a daemon's periodic reap runs beside its own prunes.
  const byOther = (owner: string | null) => owner !== null && owner !== processes.self && alive(owner);
  const orphaned = (rows: RecordRow[]) => rows.filter((r) => r.owner !== processes.self && !byOther(r.owner));
  let doomed: RecordRow[] = orphaned(seen.unfinished.filter((r) => r.state === "deleting"));
  const halfSnapshots: string[] = [];
  if (dead.length || seen.expired) {
    doomed = await store.write(async (tx) => {
      if (dead.length) {
        await tx.holds.end({ owners: dead });
        await tx.blobs.releaseOwners(dead);
      }
      if (seen.expired) await tx.holds.end({ expired: true });
      const halfMade = (await tx.records.inState("creating")).filter((r) => r.owner && dead.includes(r.owner));
      // Marked as this process's removal, finished below: another start-up leaves them.
      await markDeleting(tx, halfMade.map((r) => r.id), processes.self);
      // A snapshot a dead process was extracting or building: dropped, to be made again.
      for (const r of await tx.records.ownedBy(dead)) {
        if (r.snapshot) halfSnapshots.push(r.snapshot);
        await tx.records.update([r.id], { snapshot: r.lazy || r.kind === "merge" || r.kind === "diff" ? null : r.snapshot, owner: null });
      }
      return [...halfMade, ...orphaned(await tx.records.inState("deleting"))];
    });
  }
  if (doomed.length) {
    out.unfinished = doomed.length;
    await removeMarked(d, doomed);
  }
  for (const key of halfSnapshots) {
    if (!(await store.read((tx) => tx.records.stillUsed([key], []))).has(key)) await snapshots.remove(key);
  }
  if (opts.scan === false) return out;
  // Every row names its snapshot before the snapshot is made, so a mount of a key no
  // row names is stale. Unmounted, never removed here: the scan below decides that.
  const mounts = snapshots.mounted();
  if (mounts.length) {
    const owned = await store.read((tx) => tx.records.stillUsed(mounts, []));
    out.staleMounts = mounts.filter((key) => !owned.has(key));
    for (const key of out.staleMounts) await snapshots.unmount(key);
  }
  await snapshots.sweep();
  // What a writer that died left half written (SPEC §3.14: no data without a record).
  d.content.sweepIngests(alive);
  // A live process creating, making or removing records changes the directory as it goes,
  // and moves the mark when it is done: scanning now would read every row for nothing (and,
  // by moving the mark on, make the next start-ups scan too). A later start-up looks.
  const othersAtWork = async () =>
    seen.unfinished.some((r) => byOther(r.owner)) || (await store.read((tx) => tx.records.makers())).some(byOther);
  if (opts.full || (seen.mark !== version && !(await othersAtWork()))) {
    await scan(d, out);
  }
  return out;
}

/**
 * Records that cannot be made without these: unmaterialized merges, diffs and lazy
 * layers built on them, and on those, and so on. A child with a tree of its own stands.
 */
export async function dependents(tx: Tx, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (let frontier = ids; frontier.length;) {
    const kids = [...new Set([...(await tx.links.children(frontier)).values()].flat())];
    frontier = (await tx.records.ready(kids)).filter((r) => r.snapshot === null).map((r) => r.id);
    out.push(...frontier);
  }
  return out;
}

/** Removes rows whose data is gone, and what cannot be made without them; other children become bases. */
export async function dropMissing(tx: Tx, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const gone = [...ids, ...(await dependents(tx, ids))];
  await tx.links.unlink(gone);
  await tx.records.delete(gone);
}

async function scan(d: Deps, out: Recovered): Promise<void> {
  const { store, snapshots } = d;
  const version = snapshots.version();
  const onDisk = new Set(snapshots.list());
  const rows = await store.read((tx) => tx.records.allReady());
  const owned = await store.read((tx) => tx.records.snapshotKeys());

  for (const dir of onDisk) {
    if (!owned.has(dir)) {
      await snapshots.remove(dir);
      out.strayDirs.push(dir);
    }
  }
  const missing = rows.filter((r) => r.snapshot !== null && !r.lazy && !r.owner && !onDisk.has(r.snapshot));
  out.missing = missing.map((r) => r.id);
  const ids = new Set(rows.map((r) => r.id));
  const brokenTwins = rows.filter((r) => r.twin !== null && !ids.has(r.twin)).map((r) => r.id);
  if (!missing.length && !out.strayDirs.length && !brokenTwins.length) {
    // Nothing to mend: remember the directory as seen, unless a writer is busy (then
    // the next start-up looks again, which is cheap).
    await store.tryWrite((tx) => tx.meta.set(versionMark, version));
    return;
  }
  await store.write(async (tx) => {
    // Re-read inside the transaction: only rows still ready and still without data go.
    const still = (await tx.records.ready(out.missing)).filter((r) => !snapshots.exists(r.snapshot!));
    await dropMissing(tx, still.map((r) => r.id));
    // Twins whose mutable half is gone own their snapshot alone now.
    if (brokenTwins.length) await tx.records.update(brokenTwins, { twin: null });
    await tx.meta.set(versionMark, out.strayDirs.length ? snapshots.version() : version);
  });
}
