/**
 * The status page's data (SPEC §9), as the core sees it: usage samples over time, the
 * history of prune and GC runs, and CI key lookups, plus the sums made of them. The
 * port is the metadata store's `status()`, not part of its `Tx`: none of it takes part
 * in a record's transaction, and a failure to write it must never fail the command
 * that caused it.
 *
 * Every table is bounded: the store keeps the newest `limits[kind]` rows, so a daemon
 * that has run for a year keeps as much as one that has run for a day.
 */
import { parseDuration } from "./duration.ts";
import type { MetadataStore } from "./ports/metadata.ts";
import { parseSize } from "./units.ts";

/** Rows kept: a day of one-a-minute samples; the newest runs and lookups. */
export const limits = { samples: 1440, runs: 500, lookups: 500 };

export interface UsageSample {
  /** Milliseconds since the epoch. */
  at: number;
  records: number;
  /** Bytes of every record: what maxUsedSpace and reservedSpace compare against. */
  used: number;
  reclaimable: number;
  metadata: number;
  content: number;
  fsSize: number;
  fsFree: number;
}

/** A prune's options as a user or a GC policy wrote them (sizes and durations as text). */
export interface RunOptions {
  all?: boolean;
  filter?: string[];
  keepDuration?: string;
  maxUsedSpace?: string;
  minFreeSpace?: string;
  reservedSpace?: string;
}

export type Trigger = "gc" | "prune";

export interface PruneRun {
  id: number;
  /** `gc`: a policy of the daemon's automatic GC; `prune`: someone asked. */
  trigger: Trigger;
  /** The GC policy's index in the daemon's list; null for a prune. */
  policy: number | null;
  options: RunOptions;
  startedAt: number;
  finishedAt: number;
  records: number;
  bytes: number;
  /**
   * How many runs the row stands for: consecutive GC runs of one policy that freed
   * nothing share a row (first run at `startedAt`, last at `finishedAt`), so a GC that
   * wakes every few minutes to find nothing to do does not push real work out of the
   * bounded history.
   */
  runs: number;
  /** Why the run stopped early; what it freed until then is counted. */
  error: string | null;
}

export type NewRun = Omit<PruneRun, "id" | "runs">;

/** `key get`: found by its name, restored through a prefix, or not found. */
export type KeyOutcome = "exact" | "prefix" | "miss";
export const keyOutcomes: readonly KeyOutcome[] = ["exact", "prefix", "miss"];

export interface KeyLookup {
  at: number;
  /** The name asked for. */
  name: string;
  outcome: KeyOutcome;
  /** The key that answered (the name itself, or one a prefix found); null on a miss. */
  matched: string | null;
}

export type KeyCounts = { [o in KeyOutcome]: number };

/** The status tables. Lists come newest first, except samples (oldest first, for a chart). */
export interface StatusStore {
  addSample(s: UsageSample, keep?: number): Promise<void>;
  /** The newest `limit` samples, oldest first. */
  samples(limit?: number): Promise<UsageSample[]>;
  addRun(r: NewRun, keep?: number): Promise<void>;
  runs(limit?: number): Promise<PruneRun[]>;
  countLookup(l: KeyLookup, keep?: number): Promise<void>;
  /** Totals since the root was made (the lookups list holds only the newest). */
  lookupCounts(): Promise<KeyCounts>;
  lookups(limit?: number): Promise<KeyLookup[]>;
  /**
   * Moves when another process commits to the store, or when this one writes a status
   * table; this process's other writes are for its caller to announce.
   */
  marker(): Promise<string>;
}

/**
 * Counts one `key get`, in whichever process runs it (the CLI on its own, or the daemon).
 * Best effort: a lookup must not fail because a statistic could not be written (a full
 * disk, a store busy past its timeout), so a failure here is dropped.
 */
export async function countLookup(store: MetadataStore, l: KeyLookup): Promise<void> {
  await store.status().countLookup(l).catch(() => {});
}

/**
 * The CI hit rate: `restored` is the share of lookups that gave a cache to start from
 * (exact or by prefix), `exact` the share that found the very key. Null before any lookup.
 */
export function hitRate(c: KeyCounts): { lookups: number; exact: number | null; restored: number | null } {
  const lookups = c.exact + c.prefix + c.miss;
  if (!lookups) return { lookups, exact: null, restored: null };
  return { lookups, exact: c.exact / lookups, restored: (c.exact + c.prefix) / lookups };
}

/** The options fields of a prune input, and nothing else (not dryRun, not verbose). */
export function runOptions(input: unknown): RunOptions {
  const i = (input ?? {}) as { [k: string]: unknown };
  const out: RunOptions = {};
  if (typeof i.all === "boolean") out.all = i.all;
  if (Array.isArray(i.filter) && i.filter.every((f) => typeof f === "string") && i.filter.length) out.filter = i.filter;
  for (const k of ["keepDuration", "maxUsedSpace", "minFreeSpace", "reservedSpace"] as const) {
    if (typeof i[k] === "string") out[k] = i[k];
  }
  return out;
}

/** One GC policy resolved to bytes and milliseconds, and how usage stands against it now. */
export interface PolicyLimits {
  index: number;
  all: boolean;
  filter: string[];
  keepDurationMs: number | null;
  maxUsedSpace: number | null;
  reservedSpace: number | null;
  minFreeSpace: number | null;
  /** Whether this policy would prune for space now (null: it has no such target). */
  overMaxUsed: boolean | null;
  belowMinFree: boolean | null;
  overReserved: boolean | null;
}

/**
 * Policies as the daemon runs them, resolved on this filesystem (percentages of its
 * size), beside usage now. The space rules are prune's (core/plan.ts): maxUsedSpace and
 * reservedSpace weigh all records, minFreeSpace the filesystem's free bytes.
 */
export function policyLimits(policies: RunOptions[], usage: { used: number; fsSize: number; fsFree: number }): PolicyLimits[] {
  const bytes = (text?: string) => (text === undefined ? null : parseSize(text, usage.fsSize));
  return policies.map((p, index) => {
    const maxUsedSpace = bytes(p.maxUsedSpace);
    const reservedSpace = bytes(p.reservedSpace);
    const minFreeSpace = bytes(p.minFreeSpace);
    return {
      index,
      all: p.all === true,
      filter: p.filter ?? [],
      keepDurationMs: p.keepDuration === undefined ? null : parseDuration(p.keepDuration),
      maxUsedSpace,
      reservedSpace,
      minFreeSpace,
      overMaxUsed: maxUsedSpace === null ? null : usage.used > maxUsedSpace,
      belowMinFree: minFreeSpace === null ? null : usage.fsFree < minFreeSpace,
      overReserved: reservedSpace === null ? null : usage.used > reservedSpace,
    };
  });
}
