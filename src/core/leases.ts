/**
 * Leases: named, persisted holds with an optional expiry. A lease's hold on a record
 * is a hold row owned by `lease:<id>` that expires with the lease, so everything that
 * asks "is this held?" sees leases without knowing about them.
 */
import { StrataError } from "./errors.ts";
import { newId } from "./ids.ts";
import { leaseOwner, type LeaseRow } from "./ports.ts";
import { type Deps, getImmutable } from "./refs.ts";

export interface Lease {
  id: string;
  createdAt: string;
  expiresAt: string | null;
  expired: boolean;
  records: string[];
  blobs: string[];
}

const noLease = (id: string) => new StrataError("not_found", `lease ${id} not found`);

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
    if (await tx.lease(id)) throw new StrataError("invalid", `lease ${id} already exists`);
    const expiresAt = opts.expiresMs === undefined ? null : now + opts.expiresMs;
    await tx.createLease(id, expiresAt);
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
    const l = await tx.lease(id);
    if (!l) throw noLease(id);
    if (l.expiresAt !== null && l.expiresAt <= now) throw new StrataError("invalid", `lease ${id} has expired`);
    if (ref.startsWith("sha256:")) await tx.addLeaseBlob(id, ref);
    else {
      const r = await getImmutable(tx, ref, now);
      const held = (await tx.leaseRecords([id])).get(id)!;
      if (!held.includes(r.id)) await tx.addHold(r.id, leaseOwner(id), l.expiresAt);
    }
    return toLease(l, (await tx.leaseRecords([id])).get(id)!, now, await tx.leaseBlobs(id));
  });
}

export async function listLeases(d: Deps): Promise<Lease[]> {
  const now = d.clock.now();
  return d.store.read(async (tx) => {
    const leases = await tx.leases();
    const records = await tx.leaseRecords(leases.map((l) => l.id));
    const out: Lease[] = [];
    for (const l of leases) out.push(toLease(l, records.get(l.id) ?? [], now, await tx.leaseBlobs(l.id)));
    return out;
  });
}

export async function removeLease(d: Deps, id: string): Promise<{ id: string; deleted: boolean }> {
  return d.store.write(async (tx) => {
    if (!(await tx.lease(id))) throw noLease(id);
    await tx.endHolds({ owner: leaseOwner(id) });
    await tx.deleteLeases([id]);
    return { id, deleted: true };
  });
}
