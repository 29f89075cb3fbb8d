import { expect, test } from "bun:test";
import { isId, newId } from "../../src/core/ids.ts";

test("record IDs are 25 lowercase base36 characters and do not repeat", () => {
  const ids = new Set(Array.from({ length: 2000 }, newId));
  expect(ids.size).toBe(2000);
  for (const id of ids) expect(isId(id)).toBe(true);
  const chars = new Set([...ids].join(""));
  expect(chars.size).toBe(36);
});
