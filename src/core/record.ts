/**
 * A record's shape exists twice on purpose: `RecordRow` is a record as the metadata
 * port keeps it (the SQLite row shape stays in `store/`), `Record` is SPEC §2's JSON.
 * `toRecord` maps one to the other, once.
 */
export const kinds = ["base", "layer", "merge", "diff"] as const;
export type Kind = (typeof kinds)[number];

export const recordTypes = [
  "regular", "internal", "frontend", "source.local", "source.git.checkout", "exec.cachemount",
] as const;
export type RecordType = (typeof recordTypes)[number];

export type CachePolicy = "default" | "retain";

/** `creating` and `deleting` rows are invisible to users; start-up recovery finishes them. */
export type RecordState = "creating" | "ready" | "deleting";

export interface RecordRow {
  id: string;
  state: RecordState;
  /** The process creating or removing the record, or making a ready one's snapshot (materialize.ts). */
  owner: string | null;
  kind: Kind;
  mutable: boolean;
  /** Directory name of the snapshot; twins share one. Null for lazy records. */
  snapshot: string | null;
  /** On an immutable record: the mutable record it was committed from, until finalized. */
  twin: string | null;
  description: string;
  recordType: RecordType;
  shared: boolean;
  cachePolicy: CachePolicy;
  /** Cached disk usage of an immutable record; null until computed. */
  size: number | null;
  createdAt: number;
  lastUsedAt: number | null;
  usageCount: number;
  lazy: boolean;
  blobDigest: string | null;
  blobMediaType: string | null;
  blobSize: number | null;
  blobDiffID: string | null;
  chainID: string | null;
  blobChainID: string | null;
}

export interface Blob {
  digest: string;
  mediaType: string;
  size: number;
  diffID: string;
}

export interface Record {
  id: string;
  kind: Kind;
  mutable: boolean;
  inUse: boolean;
  size: number;
  createdAt: string;
  lastUsedAt: string | null;
  usageCount: number;
  parents: string[];
  description: string;
  recordType: RecordType;
  shared: boolean;
  lazy: boolean;
  cachePolicy: CachePolicy;
  blob: Blob | null;
  chainID: string | null;
  blobChainID: string | null;
  /**
   * Other records whose tree is the same snapshot (one chainID imported in two
   * compressions): present only then. The snapshot's bytes count once, on the first.
   */
  sharesSnapshotWith?: string[];
}

/**
 * Who counts a snapshot several records share: the first made (then by ID). `sharing`
 * lists every visible record on the snapshot, in that order.
 */
export function snapshotShare(id: string, sharing: string[]): { counts: boolean; others?: string[] } {
  if (sharing.length < 2 || !sharing.includes(id)) return { counts: true };
  return { counts: sharing[0] === id, others: sharing.filter((x) => x !== id) };
}

export function toRecord(
  row: RecordRow,
  extra: { parents: string[]; inUse: boolean; size: number; sharing?: string[] },
): Record {
  const share = extra.sharing ? snapshotShare(row.id, extra.sharing) : { counts: true };
  const record: Record = {
    id: row.id,
    kind: row.kind,
    mutable: row.mutable,
    inUse: extra.inUse,
    size: share.counts ? extra.size : 0,
    createdAt: new Date(row.createdAt).toISOString(),
    lastUsedAt: row.lastUsedAt === null ? null : new Date(row.lastUsedAt).toISOString(),
    usageCount: row.usageCount,
    parents: extra.parents,
    description: row.description,
    recordType: row.recordType,
    shared: row.shared,
    lazy: row.lazy,
    cachePolicy: row.cachePolicy,
    blob: row.blobDigest === null ? null : {
      digest: row.blobDigest,
      mediaType: row.blobMediaType ?? "",
      size: row.blobSize ?? 0,
      diffID: row.blobDiffID ?? "",
    },
    chainID: row.chainID,
    blobChainID: row.blobChainID,
  };
  if (share.others) record.sharesSnapshotWith = share.others;
  return record;
}

/** A fresh row with every default filled in. */
export function newRow(fields: Pick<RecordRow, "id" | "kind" | "mutable" | "createdAt"> & Partial<RecordRow>): RecordRow {
  return {
    state: "ready", owner: null, snapshot: null, twin: null, description: "",
    recordType: "regular", shared: false, cachePolicy: "default", size: null,
    lastUsedAt: null, usageCount: 0, lazy: false, blobDigest: null, blobMediaType: null,
    blobSize: null, blobDiffID: null, chainID: null, blobChainID: null,
    ...fields,
  };
}
