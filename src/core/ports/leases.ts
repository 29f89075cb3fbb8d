/**
 * Leases: named holds with an optional expiry. A lease's hold on a record is a hold
 * owned by `lease:<id>`; the owner format is written here and nowhere else.
 */
export interface LeaseRow {
  id: string;
  expiresAt: number | null;
  createdAt: number;
}

export const leasePrefix = "lease:";
export const leaseOwner = (id: string) => `${leasePrefix}${id}`;
export const isLeaseOwner = (owner: string) => owner.startsWith(leasePrefix);
/** The lease an owner names. */
export const leaseOf = (owner: string) => owner.slice(leasePrefix.length);

export interface Leases {
  get(id: string): Promise<LeaseRow | undefined>;
  list(): Promise<LeaseRow[]>;
  create(id: string, expiresAt: number | null): Promise<void>;
  /** Deletes leases and their blob lists; their record holds end separately. */
  delete(ids: string[]): Promise<void>;
  addBlob(lease: string, digest: string): Promise<void>;
  blobs(lease: string): Promise<string[]>;
  /** Records held by each lease. */
  records(ids: string[]): Promise<Map<string, string[]>>;
}
