/**
 * Leases: named, persisted holds with an optional expiry. A lease's hold on a record
 * is a hold row owned by `lease:<id>` that expires with the lease, so everything that
 * asks "is this held?" sees leases without knowing about them.
 */
import { invalid, notFound } from "./errors.ts";
import { newId } from "./ids.ts";
import { leaseOwner, type LeaseRow } from "./ports/leases.ts";
import { type Deps, getImmutable } from "./refs.ts";

export interface Lease {
  id: string;
  createdAt: string;
  expiresAt: string | null;
  expired: boolean;
  records: string[];
  blobs: string[];
}

const noLease = (id: string) => notFound(`lease ${id}`);

function toLease(l: LeaseRow, records: string[], now: number, blobs: string[] = []): Lease {
  return {
    id: l.id,
    createdAt: new Date(l.createdAt).toISOString(),
    expiresAt: l.expiresAt === null ? null : new Date(l.expiresAt).toISOString(),
    expired: l.expiresAt !== null && l.expiresAt <= now,
    records,
    blobs,
  };
}

export async function createLease(d: Deps, opts: { id?: string; expiresMs?: number }): Promise<Lease> {
  const id = opts.id ?? newId();
  const now = d.clock.now();
  return d.store.write(async (tx) => {
    if (await tx.leases.get(id)) throw invalid(`lease ${id} already exists`);
    const expiresAt = opts.expiresMs === undefined ? null : now + opts.expiresMs;
    await tx.leases.create(id, expiresAt);
    return toLease({ id, expiresAt, createdAt: now }, [], now);
  });
}

/**
 * Adds a record to a lease, held (in its immutable form) while the lease lives; or a
 * blob by digest, which gc then keeps.
 */
export async function addToLease(d: Deps, id: string, ref: string): Promise<Lease> {
  const now = d.clock.now();
  return d.store.write(async (tx) => {
    const l = await tx.leases.get(id);
    if (!l) throw noLease(id);
    if (l.expiresAt !== null && l.expiresAt <= now) throw invalid(`lease ${id} has expired`);
    if (ref.startsWith("sha256:")) await tx.leases.addBlob(id, ref);
    else {
      const r = await getImmutable(tx, ref, now);
      const held = (await tx.leases.records([id])).get(id)!;
      if (!held.includes(r.id)) await tx.holds.add(r.id, leaseOwner(id), l.expiresAt);
    }
    return toLease(l, (await tx.leases.records([id])).get(id)!, now, await tx.leases.blobs(id));
  });
}

export async function listLeases(d: Deps): Promise<Lease[]> {
  const now = d.clock.now();
  return d.store.read(async (tx) => {
    const leases = await tx.leases.list();
    const records = await tx.leases.records(leases.map((l) => l.id));
    const out: Lease[] = [];
    for (const l of leases) out.push(toLease(l, records.get(l.id) ?? [], now, await tx.leases.blobs(l.id)));
    return out;
  });
}

export async function removeLease(d: Deps, id: string): Promise<{ id: string; deleted: boolean }> {
  return d.store.write(async (tx) => {
    if (!(await tx.leases.get(id))) throw noLease(id);
    await tx.holds.end({ owner: leaseOwner(id) });
    await tx.leases.delete([id]);
    return { id, deleted: true };
  });
}
