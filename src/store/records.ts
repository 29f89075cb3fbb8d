/**
 * The records port on SQLite. Rows come back with their 0/1 flags turned into
 * booleans in place: `du` reads every row, and a copy of each would cost more than
 * the query.
 */
import { CompiledQuery, type Kysely, sql } from "kysely";
import type { Records } from "../core/ports/records.ts";
import type { RecordRow } from "../core/record.ts";
import { chunked, eachChunk } from "./query.ts";
import type { Database, RecordsTable } from "./schema.ts";

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
  constructor(private db: Kysely<Database>, private now: number) {}

  private select() {
    return this.db.selectFrom("records").selectAll();
  }

  async get(id: string) {
    return maybe(await this.select().where("id", "=", id).executeTakeFirst());
  }

  async ready(ids: string[]) {
    return fromRows(await chunked(ids, (part) => this.select().where("id", "in", part).where("state", "=", "ready").execute()));
  }

  async allReady() {
    return fromRows(await this.select().where("state", "=", "ready").execute());
  }

  async insert(row: RecordRow, parents: string[]) {
    await this.db.insertInto("records").values(toRow(row) as RecordsTable).execute();
    if (parents.length) {
      await this.db.insertInto("parents").values(parents.map((parent, position) => ({ child: row.id, position, parent }))).execute();
    }
  }

  async insertAll(entries: { row: RecordRow; parents: string[] }[]) {
    // A record binds ~25 values: 500 rows stay far below SQLite's limit on bound parameters.
    for (let i = 0; i < entries.length; i += 500) {
      const part = entries.slice(i, i + 500);
      await this.db.insertInto("records").values(part.map((e) => toRow(e.row) as RecordsTable)).execute();
      const links = part.flatMap((e) => e.parents.map((parent, position) => ({ child: e.row.id, position, parent })));
      if (links.length) await this.db.insertInto("parents").values(links).execute();
    }
  }

  async update(ids: string[], patch: Partial<RecordRow>) {
    const set = toRow(patch);
    await eachChunk(ids, (part) => this.db.updateTable("records").set(set).where("id", "in", part).execute());
  }

  async delete(ids: string[]) {
    await eachChunk(ids, async (part) => {
      await this.db.deleteFrom("holds").where("record", "in", part).execute();
      await this.db.deleteFrom("keys").where("record", "in", part).execute();
      await this.db.deleteFrom("parents").where("child", "in", part).execute();
      await this.db.deleteFrom("records").where("id", "in", part).execute();
    });
  }

  async inState(state?: "creating" | "deleting") {
    // `state <> 'ready'` lets SQLite use the partial index records_state.
    const unready = this.select().where("state", "<>", "ready");
    return fromRows(await (state ? unready.where("state", "=", state) : unready).execute());
  }

  async twinOf(mutableId: string) {
    return maybe(await this.select().where("twin", "=", mutableId).where("state", "=", "ready").executeTakeFirst());
  }

  async stillUsed(snapshots: string[], ids: string[]) {
    if (!snapshots.length) return new Set<string>();
    const rows = await this.db.selectFrom("records").select("snapshot").distinct()
      .where("snapshot", "in", snapshots).where("id", "not in", ids.length ? ids : [""]).execute();
    return new Set(rows.map((r) => r.snapshot!));
  }

  async snapshotKeys() {
    const rows = await this.db.selectFrom("records").select("snapshot").distinct().where("snapshot", "is not", null).execute();
    return new Set(rows.map((r) => r.snapshot!));
  }

  async ownedBy(owners: string[]) {
    if (!owners.length) return [];
    return fromRows(await this.select().where("owner", "in", owners).where("state", "=", "ready").execute());
  }

  async makers() {
    const rows = await this.db.selectFrom("records").select("owner").distinct()
      .where("owner", "is not", null).where("state", "=", "ready").execute();
    return rows.map((r) => r.owner!);
  }

  async byBlobChain(id: string) {
    return maybe(
      await this.select().where("blobChainID", "=", id).where("state", "=", "ready").where("mutable", "=", 0).executeTakeFirst(),
    );
  }

  async byBlobChains(ids: string[]) {
    const rows = fromRows(await chunked(ids, (part) =>
      this.select().where("blobChainID", "in", part).where("state", "=", "ready").where("mutable", "=", 0).execute()));
    const out = new Map<string, RecordRow>();
    for (const r of rows) if (!out.has(r.blobChainID!)) out.set(r.blobChainID!, r);
    return out;
  }

  async byChainWithSnapshot(id: string) {
    return maybe(
      await this.select().where("chainID", "=", id).where("state", "=", "ready")
        .where("snapshot", "is not", null).where("mutable", "=", 0).executeTakeFirst(),
    );
  }

  async stats() {
    const rows = await this.db.selectFrom("records")
      .select(({ fn }) => ["mutable", fn.countAll<number>().as("count"), fn.sum<number>(fn.coalesce("size", sql.lit(0))).as("bytes")])
      .where("state", "=", "ready").groupBy("mutable").execute();
    return rows.map((r) => ({ mutable: r.mutable === 1, count: Number(r.count), bytes: Number(r.bytes) }));
  }

  async view(id: string) {
    const { rows } = await this.db.executeQuery<RecordsTable & { parentIds: string; inUse: number; heldUntil: number | null; sharing: string }>(
      CompiledQuery.raw(viewSql, [id, this.now, id]),
    );
    const r = rows[0];
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
    for (let i = 0; i < keys.length; i += 5000) {
      const part = keys.slice(i, i + 5000);
      const { rows } = await this.db.executeQuery<{ id: string; snapshot: string }>(
        CompiledQuery.raw(sharingSql(`s.snapshot IN (${part.map(() => "?").join(",")})`), part),
      );
      for (const r of rows) {
        const list = out.get(r.snapshot);
        if (list) list.push(r.id);
        else out.set(r.snapshot, [r.id]);
      }
    }
    for (const [key, ids] of out) if (ids.length < 2) out.delete(key);
    return out;
  }
}
