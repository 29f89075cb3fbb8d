/**
 * A cache of described records for a long-lived process (the daemon), valid while the
 * store's version is unchanged and until the first hold that makes a record in use
 * expires. Mutable records are never cached: their size changes without a write.
 */
import type { Record } from "./record.ts";

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

  set(record: Record, version: string, until: number): void {
    if (record.mutable || version !== this.version) return;
    if (this.entries.size >= this.limit) this.entries.clear();
    this.entries.set(record.id, { record, version, until });
  }
}
