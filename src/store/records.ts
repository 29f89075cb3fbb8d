/**
 * The records port on SQLite, in fixed statements (statements.ts): every command reads
 * records. Rows come back with their 0/1 flags turned into booleans in place: `du`
 * reads every row, and a copy of each would cost more than the query.
 */
import type { Records } from "../core/ports/records.ts";
import type { RecordRow } from "../core/record.ts";
import type { RecordsTable } from "./schema.ts";
import { LIST, list } from "./statements.ts";
import type { Conn } from "./tx.ts";

/** A stored row as the core sees it (the same object, flags made booleans). */
export function fromRow(r: RecordsTable): RecordRow {
  const row = r as unknown as RecordRow;
  row.mutable = r.mutable === 1;
  row.shared = r.shared === 1;
  row.lazy = r.lazy === 1;
  return row;
}

const fromRows = (rows: RecordsTable[]) => {
  for (const r of rows) fromRow(r);
  return rows as unknown as RecordRow[];
};
const maybe = (r: RecordsTable | undefined) => (r ? fromRow(r) : undefined);
const bit = (b: boolean) => (b ? 1 : 0);

/** A row or patch in the stored shape. */
export function toRow<T extends Partial<RecordRow>>(r: T): Partial<RecordsTable> {
  const out = { ...r } as unknown as Partial<RecordsTable>;
  if (r.mutable !== undefined) out.mutable = bit(r.mutable);
  if (r.shared !== undefined) out.shared = bit(r.shared);
  if (r.lazy !== undefined) out.lazy = bit(r.lazy);
  return out;
}

/**
 * One record with its ordered parents and whether it is in use. In use means held
 * anywhere below it: itself, its twin, its descendants (and their twins), as `inUse`
 * computes upward from the holds. A fixed statement: it is the hot path of `info`.
 */
/** Visible ready records on a snapshot (a mutable half hidden by its twin is not), first made first. */
const sharingSql = (where: string) => `
  SELECT s.id, s.snapshot FROM records s
  WHERE ${where} AND s.state = 'ready'
    AND NOT EXISTS (SELECT 1 FROM records t WHERE t.twin = s.id AND t.state = 'ready')
  ORDER BY s.createdAt, s.id`;

const viewSql = `
  WITH RECURSIVE down(id) AS (
    SELECT ?
    UNION SELECT p.child FROM parents p JOIN down d ON p.parent = d.id
    UNION SELECT r.id FROM records r JOIN down d ON r.twin = d.id
    UNION SELECT r.twin FROM records r JOIN down d ON r.id = d.id WHERE r.twin IS NOT NULL
  )
  SELECT r.*,
    (SELECT json_group_array(parent) FROM (SELECT parent FROM parents WHERE child = r.id ORDER BY position)) AS parentIds,
    (SELECT json_group_array(id) FROM (${sharingSql("s.snapshot = r.snapshot")})) AS sharing,
    h.n > 0 AS inUse, h.until AS heldUntil
  FROM records r,
    (SELECT count(*) AS n, min(expiresAt) AS until FROM holds
      WHERE record IN (SELECT id FROM down) AND (expiresAt IS NULL OR expiresAt > ?)) h
  WHERE r.id = ? AND r.state = 'ready'`;

export class SqlRecords implements Records {
  constructor(private c: Conn) {}

  private rows(where: string, params: readonly unknown[] = []) {
    return fromRows(this.c.s.all<RecordsTable>(`SELECT * FROM records WHERE ${where}`, params));
  }

  private one(where: string, params: readonly unknown[]) {
    return maybe(this.c.s.first<RecordsTable>(`SELECT * FROM records WHERE ${where} LIMIT 1`, params));
  }

  async get(id: string) {
    return this.one("id = ?", [id]);
  }

  async ready(ids: string[]) {
    return ids.length ? this.rows(`id IN ${LIST} AND state = 'ready'`, [list(ids)]) : [];
  }

  async allReady() {
    return this.rows("state = 'ready'");
  }

  async insert(row: RecordRow, parents: string[]) {
    this.c.s.insert("records", toRow(row));
    this.link(row.id, parents);
  }

  async insertAll(entries: { row: RecordRow; parents: string[] }[]) {
    // One prepared statement for every row of the same shape: as quick as rows in bulk.
    for (const e of entries) await this.insert(e.row, e.parents);
  }

  private link(child: string, parents: string[]) {
    parents.forEach((parent, position) =>
      this.c.s.run("INSERT INTO parents (child, position, parent) VALUES (?, ?, ?)", [child, position, parent]));
  }

  async update(ids: string[], patch: Partial<RecordRow>) {
    const set = toRow(patch) as { [column: string]: unknown };
    const names = Object.keys(set).filter((k) => set[k] !== undefined);
    if (!names.length || !ids.length) return;
    this.c.s.run(
      `UPDATE records SET ${names.map((n) => `${n} = ?`).join(", ")} WHERE id IN ${LIST}`,
      [...names.map((n) => set[n]), list(ids)],
    );
  }

  async delete(ids: string[]) {
    if (!ids.length) return;
    const p = [list(ids)];
    this.c.s.run(`DELETE FROM holds WHERE record IN ${LIST}`, p);
    this.c.s.run(`DELETE FROM keys WHERE record IN ${LIST}`, p);
    this.c.s.run(`DELETE FROM parents WHERE child IN ${LIST}`, p);
    this.c.s.run(`DELETE FROM records WHERE id IN ${LIST}`, p);
  }

  async inState(state?: "creating" | "deleting") {
    // `state <> 'ready'` lets SQLite use the partial index records_state.
    return state ? this.rows("state <> 'ready' AND state = ?", [state]) : this.rows("state <> 'ready'");
  }

  async twinOf(mutableId: string) {
    return this.one("twin = ? AND state = 'ready'", [mutableId]);
  }

  async stillUsed(snapshots: string[], ids: string[]) {
    if (!snapshots.length) return new Set<string>();
    const rows = this.c.s.all<{ snapshot: string }>(
      `SELECT DISTINCT snapshot FROM records WHERE snapshot IN ${LIST} AND id NOT IN ${LIST}`,
      [list(snapshots), list(ids)],
    );
    return new Set(rows.map((r) => r.snapshot));
  }

  async snapshotKeys() {
    const rows = this.c.s.all<{ snapshot: string }>("SELECT DISTINCT snapshot FROM records WHERE snapshot IS NOT NULL");
    return new Set(rows.map((r) => r.snapshot));
  }

  async ownedBy(owners: string[]) {
    return owners.length ? this.rows(`owner IN ${LIST} AND state = 'ready'`, [list(owners)]) : [];
  }

  async makers() {
    const rows = this.c.s.all<{ owner: string }>("SELECT DISTINCT owner FROM records WHERE owner IS NOT NULL AND state = 'ready'");
    return rows.map((r) => r.owner);
  }

  async byBlobChain(id: string) {
    return this.one("blobChainID = ? AND state = 'ready' AND mutable = 0", [id]);
  }

  async byBlobChains(ids: string[]) {
    const rows = ids.length ? this.rows(`blobChainID IN ${LIST} AND state = 'ready' AND mutable = 0`, [list(ids)]) : [];
    const out = new Map<string, RecordRow>();
    for (const r of rows) if (!out.has(r.blobChainID!)) out.set(r.blobChainID!, r);
    return out;
  }

  async byChainWithSnapshot(id: string) {
    return this.one("chainID = ? AND state = 'ready' AND snapshot IS NOT NULL AND mutable = 0", [id]);
  }

  async stats() {
    const rows = this.c.s.all<{ mutable: number; count: number; bytes: number }>(
      "SELECT mutable, count(*) AS count, sum(coalesce(size, 0)) AS bytes FROM records WHERE state = 'ready' GROUP BY mutable",
    );
    return rows.map((r) => ({ mutable: r.mutable === 1, count: Number(r.count), bytes: Number(r.bytes) }));
  }

  async view(id: string) {
    const r = this.c.s.first<RecordsTable & { parentIds: string; inUse: number; heldUntil: number | null; sharing: string }>(
      viewSql, [id, this.c.now, id],
    );
    if (!r) return undefined;
    const { parentIds, inUse, heldUntil, sharing, ...row } = r;
    return {
      row: fromRow(row), parents: JSON.parse(parentIds) as string[], inUse: inUse === 1, heldUntil,
      sharing: JSON.parse(sharing) as string[],
    };
  }

  async sharing(snapshots: string[]) {
    const out = new Map<string, string[]>();
    const keys = [...new Set(snapshots)];
    if (!keys.length) return out;
    for (const r of this.c.s.all<{ id: string; snapshot: string }>(sharingSql(`s.snapshot IN ${LIST}`), [list(keys)])) {
      const ids = out.get(r.snapshot);
      if (ids) ids.push(r.id);
      else out.set(r.snapshot, [r.id]);
    }
    for (const [key, ids] of out) if (ids.length < 2) out.delete(key);
    return out;
  }
}
