/**
 * A cache of described records for a long-lived process (the daemon), valid while the
 * store's version is unchanged and until the first hold that makes a record in use
 * expires. A mutable record's size changes without a write, so it is kept for a second
 * at most (`mutableMs`): measuring a big tree on every request is what made it slow.
 */
import type { Record } from "./record.ts";

/** How long a mutable record's description, its size measured then, may be given again. */
export const mutableMs = 1000;

interface Entry {
  record: Record;
  version: string;
  until: number;
}

export class RecordCache {
  private entries = new Map<string, Entry>();
  private version = "";

  constructor(private limit = 10_000) {}

  get(id: string, version: string, now: number): Record | undefined {
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
      return undefined;
    }
    const e = this.entries.get(id);
    return e && now < e.until ? e.record : undefined;
  }

  /** `now`: when the record was described (a mutable one is kept `mutableMs` from then). */
  set(record: Record, version: string, until: number, now: number): void {
    if (version !== this.version) return;
    if (record.mutable) until = Math.min(until, now + mutableMs);
    if (this.entries.size >= this.limit) this.entries.clear();
    this.entries.set(record.id, { record, version, until });
  }
}
