/** Human output: tables with aligned columns, sizes like `1.2GB`, times like `3 hours ago`. */
import { ago } from "../core/duration.ts";
import type { Record } from "../core/record.ts";
import { humanSize } from "../core/units.ts";
import type { Totals } from "../core/usage.ts";

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 3))).join("").trimEnd())
    .join("\n");
}

const lastAccessed = (r: Record, now: number) => (r.lastUsedAt ? ago(now - Date.parse(r.lastUsedAt)) : "");

export function recordRows(records: Record[], now = Date.now()): string[][] {
  return [
    ["ID", "RECLAIMABLE", "SIZE", "LAST ACCESSED"],
    ...records.map((r) => [r.id + (r.mutable ? "*" : ""), String(!r.inUse), humanSize(r.size), lastAccessed(r, now)]),
  ];
}

/** Every field, one per line, like `buildctl du --verbose`. */
export function recordDetails(r: Record): string {
  const lines: [string, string][] = [
    ["ID", r.id],
    ["Kind", r.kind],
    ["Mutable", String(r.mutable)],
    ["In use", String(r.inUse)],
    ["Reclaimable", String(!r.inUse)],
    ["Size", humanSize(r.size)],
    ["Created at", r.createdAt],
    ["Last used", r.lastUsedAt ?? "never"],
    ["Usage count", String(r.usageCount)],
    ["Parents", r.parents.join(", ")],
    ["Description", r.description],
    ["Type", r.recordType],
    ["Shared", String(r.shared)],
    ["Lazy", String(r.lazy)],
    ["Cache policy", r.cachePolicy],
    ["Blob", r.blob ? `${r.blob.digest} ${r.blob.mediaType} ${r.blob.size}` : ""],
    ["Chain ID", r.chainID ?? ""],
    ["Blob chain ID", r.blobChainID ?? ""],
    ["Shares tree", r.sharesSnapshotWith ? `with ${r.sharesSnapshotWith.join(", ")}${r.size ? "" : " (its size counts there)"}` : ""],
  ];
  return lines.filter(([, v]) => v !== "").map(([k, v]) => `${(k + ":").padEnd(15)}${v}`).join("\n");
}

export function totalsText(t: Totals): string {
  return [
    ["Shared:", t.shared], ["Private:", t.private], ["Reclaimable:", t.reclaimable], ["Total:", t.total],
    ["Metadata:", t.metadata], ["Content:", t.content],
  ].map(([k, v]) => `${String(k).padEnd(15)}${humanSize(Number(v))}`).join("\n");
}
