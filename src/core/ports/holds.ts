/**
 * Holds keep records in use: by a live process (owner), until a time (expiry), or by a
 * lease. A record is in use while it, its twin or any descendant is held.
 */
export interface HoldFilter {
  records?: string[];
  owner?: string | null;
  owners?: string[];
  expired?: true;
  /** Holds with an expiry that are not a lease's: the ones handed to users. */
  handedOut?: true;
  /** Work that failed: its holds end without counting a use. */
  uncounted?: true;
}

export interface Holds {
  /** Ids among `ids` with a live hold (not expired; dead owners are reaped separately). */
  held(ids: string[]): Promise<Set<string>>;
  /** Ids in use, among `ids` when given, else every one. */
  inUse(ids?: string[]): Promise<Set<string>>;
  add(record: string, owner: string | null, expiresAt: number | null): Promise<void>;
  /**
   * Ends holds matching the filter. A record left with no live hold has its use
   * counted once: usageCount + 1, lastUsedAt = now.
   */
  end(filter: HoldFilter): Promise<void>;
  /** Distinct owners of holds, of blob holds and of rows being created or materialized. */
  owners(): Promise<string[]>;
  /** Counts a use of records nobody holds. */
  touch(ids: string[]): Promise<void>;
  /** Whether some hold has expired (a cheap check before a write). */
  anyExpired(): Promise<boolean>;
}
