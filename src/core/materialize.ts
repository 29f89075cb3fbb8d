/**
 * Making a record's snapshot when it is first needed (SPEC §3.2, §3.9–10): a lazy layer
 * is extracted, a merge or a diff built from its inputs' layers. Where the snapshotter
 * keeps a snapshot's changes apart (the `changes` and `stack` capabilities, overlayfs),
 * a layer is written straight into them and a merge lays its inputs' changes over one
 * another instead of linking them into a new tree; elsewhere the same code writes trees.
 */
import { integrity, missingBlob, notFound } from "./errors.ts";
import { newId } from "./ids.ts";
import { writing } from "./space.ts";
import { fetchLazyBlob } from "./remote-blob.ts";
import type { LayerDeps } from "./layers.ts";
import type { RecordRow } from "./record.ts";
import { noteOwnChange } from "./refs.ts";

/** Whether a record's snapshot is made, and nobody is making it. */
const made = (r: RecordRow) => r.snapshot !== null && !r.lazy && !r.owner;

/**
 * A record's snapshot, made now if it has none: a lazy layer is extracted (its parents
 * first), a merge or diff is built from its inputs' layers. One maker at a time, in any
 * process: the others wait on the record's lock (`Locks`), then find it made. While it
 * is made the row names the snapshot and its maker, so recovery can tell a half-made
 * snapshot from a finished one; a maker that died leaves the lock to the next, which
 * starts over. Locks are only taken on what a record is built from, so two makers never
 * wait on each other.
 */
export async function materialize(d: LayerDeps, r: RecordRow): Promise<RecordRow> {
  if (made(r)) return r;
  const lock = await d.locks.hold(r.id);
  try {
    // Most who waited find it made: a read says so without queueing for the write lock.
    const now = await d.store.read((tx) => tx.records.get(r.id));
    return now && now.state === "ready" && made(now) ? now : await make(d, r.id);
  } finally {
    lock.release();
  }
}

/** Makes a record's snapshot; the caller holds its lock. */
async function make(d: LayerDeps, id: string): Promise<RecordRow> {
  const key = newId();
  const self = d.processes.self;
  const claim = await d.store.write(async (tx) => {
    const now = await tx.records.get(id);
    if (!now || now.state !== "ready") throw notFound(`record ${id}`);
    if (made(now)) return { done: now };
    const shared = now.lazy && now.chainID ? await tx.records.byChainWithSnapshot(now.chainID) : undefined;
    if (shared && made(shared)) {
      await tx.records.update([id], { snapshot: shared.snapshot, lazy: false });
      return { done: (await tx.records.get(id))! };
    }
    // Under the lock, a maker named on the row died half way: its work is dropped.
    if (now.owner) await tx.holds.end({ records: [id], owner: now.owner });
    await tx.records.update([id], { snapshot: key, owner: self });
    // Held while it is made, so a prune running meanwhile leaves it (and its inputs) alone.
    await tx.holds.add(id, self, null);
    return { now, stale: now.owner ? now.snapshot : null };
  });
  if (claim.done) return claim.done;
  const row = claim.now!;
  if (claim.stale && !(await d.store.read((tx) => tx.records.stillUsed([claim.stale!], []))).has(claim.stale)) {
    await d.snapshots.remove(claim.stale);
  }
  let own: Change;
  try {
    own = row.kind === "merge" || row.kind === "diff" ? await build(d, row, key) : await extract(d, row, key);
    await d.snapshots.commit(key);
  } catch (err) {
    await d.snapshots.remove(key);
    await d.store.write(async (tx) => {
      await tx.records.update([id], { snapshot: null, owner: null });
      await tx.holds.end({ records: [id], owner: self, uncounted: true });
    });
    throw writing(d, err, row.kind === "merge" || row.kind === "diff" ? `making ${row.kind} ${id}` : `extracting record ${id}`, row.blobSize);
  }
  return d.store.write(async (tx) => {
    await tx.records.update([id], { lazy: false, owner: null, size: null });
    await tx.holds.end({ records: [id], owner: self });
    // The new directory is this process's own change: start-ups need not scan for it.
    await noteOwnChange(tx, own.before, own.after);
    return (await tx.records.get(id))!;
  });
}

/** A record's parents, in order, read in one transaction. */
export async function parentsOf(d: LayerDeps, id: string): Promise<RecordRow[]> {
  return d.store.read(async (tx) => {
    const ids = (await tx.links.parents([id])).get(id) ?? [];
    return Promise.all(ids.map(async (p) => (await tx.records.get(p))!));
  });
}

/** A record's directory, made first if it has none yet. */
export async function dirOf(d: LayerDeps, r: RecordRow): Promise<string> {
  return d.snapshots.mount((await materialize(d, r)).snapshot!);
}

/**
 * Where a layer goes in snapshot `key`, just prepared on `parent`: its own changes when
 * the snapshotter keeps them apart (an overlay upper, over the parent's tree), else its tree.
 */
export async function layerTarget(d: LayerDeps, key: string, parent?: string): Promise<{ dir: string; overlay?: { below?: string } }> {
  const changes = d.snapshots.changes?.(key, parent);
  if (!changes) return { dir: await d.snapshots.mount(key) };
  return { dir: changes, overlay: { below: parent === undefined ? undefined : await d.snapshots.mount(parent) } };
}

/**
 * The snapshot directory's version just before and just after a maker added its
 * snapshot there (writing inside that snapshot changes neither): anything else that
 * changed it later still makes the next start-up scan.
 */
interface Change {
  before: string;
  after: string;
}

/** Runs `add`, which puts the record's snapshot in the directory; the versions around it. */
async function adding(d: LayerDeps, add: () => Promise<unknown>): Promise<Change> {
  const before = d.snapshots.version();
  await add();
  return { before, after: d.snapshots.version() };
}

/** extract and build make their inputs first, then the record's snapshot. */
async function extract(d: LayerDeps, row: RecordRow, key: string): Promise<Change> {
  const [p] = await parentsOf(d, row.id);
  const parent = p ? await materialize(d, p) : undefined;
  if (!row.blobDigest) throw missingBlob(`record ${row.id} is lazy and its blob is unknown`);
  // Not stored here: fetched from a registry it is known to live in (pull --lazy), or missing blob.
  if (!d.content.has(row.blobDigest)) await fetchLazyBlob(d, row);
  const own = await adding(d, () => d.snapshots.prepare(key, parent?.snapshot ?? undefined));
  const into = await layerTarget(d, key, parent?.snapshot ?? undefined);
  const got = await d.layers.read(d.layers.open(row.blobDigest), { ...into, store: false, expected: { digest: row.blobDigest } });
  if (got.diffID !== row.blobDiffID) throw integrity(`blob ${row.blobDigest} has diffID ${got.diffID}, not ${row.blobDiffID}`);
  return own;
}

/** One layer of a merge: the changes from `lower` (none: an empty tree) to `upper`. */
interface Step {
  lower?: RecordRow;
  upper: RecordRow;
}

/** The per-layer changes that make up a record, root first. */
async function steps(d: LayerDeps, r: RecordRow): Promise<Step[]> {
  const ps = await parentsOf(d, r.id);
  if (r.kind === "merge") {
    const out = [];
    for (const p of ps) out.push(...(await steps(d, p)));
    return out;
  }
  if (r.kind === "diff") {
    const [lo, up] = ps as [RecordRow, RecordRow | undefined];
    return [{ lower: lo, upper: up ?? r }];
  }
  const parent = ps[0];
  return parent ? [...(await steps(d, parent)), { lower: parent, upper: r }] : [{ upper: r }];
}

/**
 * A step's directories: where the snapshotter keeps the upper's changes against the
 * lower apart, those changes over the lower's tree (read as what changed, linked from
 * where they live); else the two trees.
 */
async function dirs(d: LayerDeps, s: Step): Promise<{ lower?: string; upper: string; overlay?: boolean }> {
  const lo = s.lower && (await materialize(d, s.lower));
  const up = await materialize(d, s.upper);
  const lower = lo ? await d.snapshots.mount(lo.snapshot!) : undefined;
  const changes = lo ? d.snapshots.changes?.(up.snapshot!, lo.snapshot!) : undefined;
  return changes ? { lower, upper: changes, overlay: true } : { lower, upper: await d.snapshots.mount(up.snapshot!) };
}

async function build(d: LayerDeps, row: RecordRow, key: string): Promise<Change> {
  if (row.kind === "merge") {
    // Every input made first, one at a time, so a failure leaves no other maker running.
    const all = await steps(d, row);
    for (const s of all) {
      if (s.lower) s.lower = await materialize(d, s.lower);
      s.upper = await materialize(d, s.upper);
    }
    const own = await stacked(d, all, key);
    if (own) return own;
    const added = await adding(d, () => d.snapshots.prepare(key));
    const dest = await d.snapshots.mount(key);
    await d.layers.applySteps(dest, await Promise.all(all.map((s) => dirs(d, s))), { deletions: true });
    return added;
  }
  // A diff's own tree: what UPPER added or changed over LOWER (deletions live only in its
  // layer); without UPPER it stays empty, and LOWER need not be made.
  const [lo, up] = await parentsOf(d, row.id);
  const step = up ? { lower: await materialize(d, lo!), upper: await materialize(d, up) } : undefined;
  const own = await adding(d, () => d.snapshots.prepare(key));
  const dest = await d.snapshots.mount(key);
  if (step) await d.layers.applySteps(dest, [await dirs(d, step)], { deletions: false });
  return own;
}

/**
 * A merge as a stack (BuildKit's merge on overlay): steps whose changes the snapshotter
 * keeps apart are laid over one another as they are, from the bottom; the rest are
 * applied on top, into the stack's upper, with hardlinks and whiteouts. A step met again
 * later is taken once, at its last place: applying it there redoes all it did before.
 * The steps' records are made already. Undefined when nothing could be stacked.
 */
async function stacked(d: LayerDeps, made: Step[], key: string): Promise<Change | undefined> {
  const { stack, changes } = d.snapshots;
  if (!stack || !changes) return undefined;
  const id = (s: Step) => `${s.lower?.snapshot ?? ""}>${s.upper.snapshot}`;
  const once = made.filter((s, i) => !made.slice(i + 1).some((t) => id(t) === id(s)));
  let ready = 0;
  while (ready < once.length && changes.call(d.snapshots, once[ready]!.upper.snapshot!, once[ready]!.lower?.snapshot ?? undefined)) ready++;
  if (!ready) return undefined;
  const before = d.snapshots.version();
  const { stacked, upper } = await stack.call(d.snapshots, key, once.slice(0, ready).map((s) => s.upper.snapshot!));
  if (!stacked) return undefined;
  const own = { before, after: d.snapshots.version() };
  const rest = once.slice(stacked);
  if (rest.length) await d.layers.applySteps(upper, await Promise.all(rest.map((s) => dirs(d, s))), { deletions: true, overlay: true });
  return own;
}
