import { describe, expect, test } from "bun:test";
import { parseFilters } from "../../src/core/filter.ts";
import type { Record } from "../../src/core/record.ts";

const now = Date.parse("2026-11-29T12:00:00Z");
const rec = (over: Partial<Record>): Record => ({
  id: "a".repeat(25), kind: "base", mutable: false, inUse: false, size: 10,
  createdAt: "2026-11-29T00:00:00Z", lastUsedAt: null, usageCount: 0, parents: [],
  description: "", recordType: "regular", shared: false, lazy: false, cachePolicy: "default",
  blob: null, chainID: null, blobChainID: null, ...over,
});
const match = (filters: string[], r: Partial<Record>) => parseFilters(filters)(rec(r), now);

describe("each key", () => {
  test("id", () => {
    expect(match([`id==${"a".repeat(25)}`], {})).toBe(true);
    expect(match([`id!=${"a".repeat(25)}`], {})).toBe(false);
    expect(match(["id~=^aaa"], {})).toBe(true);
  });
  test("parents matches any parent", () => {
    expect(match(["parents==p2"], { parents: ["p1", "p2"] })).toBe(true);
    expect(match(["parents==p3"], { parents: ["p1", "p2"] })).toBe(false);
    expect(match(["parents~=^p"], { parents: [] })).toBe(false);
  });
  test("description and type", () => {
    expect(match(["description~=go mod"], { description: "go mod download" })).toBe(true);
    expect(match(["description==x"], { description: "y" })).toBe(false);
    expect(match(["type==exec.cachemount"], { recordType: "exec.cachemount" })).toBe(true);
    expect(match(["type!=regular"], {})).toBe(false);
  });
  test("boolean keys, bare or compared", () => {
    expect(match(["inuse"], { inUse: true })).toBe(true);
    expect(match(["inuse"], { inUse: false })).toBe(false);
    expect(match(["inuse==false"], { inUse: false })).toBe(true);
    expect(match(["mutable"], { mutable: true })).toBe(true);
    expect(match(["immutable"], { mutable: true })).toBe(false);
    expect(match(["shared"], { shared: true })).toBe(true);
    expect(match(["private"], { shared: true })).toBe(false);
  });
  test("until: last used, or created if never used, longer ago than the duration", () => {
    expect(match(["until==6h"], { createdAt: "2026-11-29T00:00:00Z" })).toBe(true);
    expect(match(["until==24h"], { createdAt: "2026-11-29T00:00:00Z" })).toBe(false);
    expect(match(["until==6h"], { lastUsedAt: "2026-11-29T10:00:00Z" })).toBe(false);
  });
});

test("commas AND, several filters OR", () => {
  const r = { description: "x", recordType: "internal" as const };
  expect(match(["description==x,type==internal"], r)).toBe(true);
  expect(match(["description==x,type==regular"], r)).toBe(false);
  expect(match(["description==y", "type==internal"], r)).toBe(true);
  expect(match([], r)).toBe(true);
});

test("quoted values may hold commas", () => {
  expect(match(['description=="a,b"'], { description: "a,b" })).toBe(true);
});

test("mistakes are usage errors", () => {
  for (const bad of ["colour==red", "until==soon", "until", "id~=(", 'description=="open']) {
    expect(() => parseFilters([bad])).toThrow(expect.objectContaining({ code: "usage" }));
  }
});
