/**
 * Records and their parent links, as the metadata store keeps them. Rows in
 * `creating` or `deleting` state are invisible to every query that says "ready".
 */
import type { RecordRow, RecordState } from "../record.ts";

export interface Records {
  /** A row in any state, or undefined. */
  get(id: string): Promise<RecordRow | undefined>;
  /** Ready rows among `ids`. */
  ready(ids: string[]): Promise<RecordRow[]>;
  /** Every ready row. */
  allReady(): Promise<RecordRow[]>;
  /** A new row with its ordered parents. */
  insert(row: RecordRow, parents: string[]): Promise<void>;
  /** New rows with their ordered parents, in one transaction's turn (a pulled chain). */
  insertAll(entries: { row: RecordRow; parents: string[] }[]): Promise<void>;
  update(ids: string[], patch: Partial<RecordRow>): Promise<void>;
  /** Deletes rows with their parent links, holds and keys. */
  delete(ids: string[]): Promise<void>;
  /** Rows in `state`; without one, every row being created or removed. */
  inState(state?: Exclude<RecordState, "ready">): Promise<RecordRow[]>;
  /** The immutable twin committed from a mutable record, if not finalized. */
  twinOf(mutableId: string): Promise<RecordRow | undefined>;
  /** Those of `snapshots` that some row other than `ids` still uses. */
  stillUsed(snapshots: string[], ids: string[]): Promise<Set<string>>;
  /** Every snapshot key any row uses, in any state. */
  snapshotKeys(): Promise<Set<string>>;
  /** Ready rows these owners are making a snapshot for. */
  ownedBy(owners: string[]): Promise<RecordRow[]>;
  /** The owners making a snapshot for some ready row now. */
  makers(): Promise<string[]>;
  /** A ready immutable record with this blob chain. */
  byBlobChain(blobChainID: string): Promise<RecordRow | undefined>;
  /** The same for many blob chains at once: one record for each that has one. */
  byBlobChains(blobChainIDs: string[]): Promise<Map<string, RecordRow>>;
  /** A ready immutable record with this chain and a snapshot. */
  byChainWithSnapshot(chainID: string): Promise<RecordRow | undefined>;
  /** Counts and cached bytes of ready records, mutable and immutable. */
  stats(): Promise<{ mutable: boolean; count: number; bytes: number }[]>;
  /**
   * One ready record with its ordered parents, whether it is in use, until when it is
   * held and the visible records on its snapshot (`sharing`), in one query (the hot path
   * of `info`).
   */
  view(id: string): Promise<
    { row: RecordRow; parents: string[]; inUse: boolean; heldUntil: number | null; sharing: string[] } | undefined
  >;
  /**
   * For each snapshot key used by more than one visible record (twins are one), those
   * records, first made first.
   */
  sharing(snapshots: string[]): Promise<Map<string, string[]>>;
}

/** Ordered parent links: one for a layer, the inputs of a merge, lower and upper of a diff. */
export interface Links {
  /** Ordered parents of each id. */
  parents(ids: string[]): Promise<Map<string, string[]>>;
  /** Children of each of `ids` that has any. */
  children(ids: string[]): Promise<Map<string, string[]>>;
  /** Every link, in no particular order, for whole-store walks. */
  all(): Promise<{ child: string; position: number; parent: string }[]>;
  /** Removes links to `parents` from their children; a child left with none becomes a base. */
  unlink(parents: string[]): Promise<void>;
  /** Removes every link of each of `children`. */
  remove(children: string[]): Promise<void>;
}
