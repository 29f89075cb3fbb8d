/** The daemon's cache of described records: a version check, holds' expiry, and a mutable record's moment. */
import { expect, test } from "bun:test";
import { mutableMs, RecordCache } from "../../src/core/cache.ts";
import type { Record } from "../../src/core/record.ts";

const record = (id: string, mutable: boolean) => ({ id, mutable, size: 1 }) as unknown as Record;

test("a record is given again while the store's version stands and its holds last", () => {
  const c = new RecordCache();
  expect(c.get("a", "v1", 0)).toBeUndefined();
  c.set(record("a", false), "v1", 5000, 0);
  expect(c.get("a", "v1", 4999)?.id).toBe("a");
  expect(c.get("a", "v1", 5000)).toBeUndefined(); // its first hold expired: inUse may change
  c.set(record("a", false), "v1", Infinity, 0);
  expect(c.get("a", "v2", 1)).toBeUndefined(); // the store changed
});

test("a mutable record, whose size changes without a write, is given again for a moment only", () => {
  const c = new RecordCache();
  c.get("m", "v1", 0);
  c.set(record("m", true), "v1", Infinity, 100);
  expect(c.get("m", "v1", 100 + mutableMs - 1)?.id).toBe("m");
  expect(c.get("m", "v1", 100 + mutableMs)).toBeUndefined();
});
