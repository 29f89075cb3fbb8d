/**
 * The holds port on SQLite. "In use" is computed upward from live holds in one
 * recursive query: a held record, its twin, and every ancestor of either.
 */
import { type Kysely, sql } from "kysely";
import type { HoldFilter, Holds } from "../core/ports/holds.ts";
import { leasePrefix } from "../core/ports/leases.ts";
import { chunked, eachChunk, live } from "./query.ts";
import type { Database } from "./schema.ts";

export class SqlHolds implements Holds {
  private live;
  constructor(private db: Kysely<Database>, private now: number) {
    this.live = live(now);
  }

  /** Counts a use of records left with no live hold. */
  private async bump(ids: string[]) {
    await eachChunk(ids, (part) =>
      this.db.updateTable("records")
        .set({ usageCount: sql`usageCount + 1`, lastUsedAt: this.now })
        .where("id", "in", part)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom("holds").select("holds.id").whereRef("holds.record", "=", "records.id").where(this.live)))
        )
        .execute());
  }

  async held(ids: string[]) {
    const rows = await chunked(ids, (part) =>
      this.db.selectFrom("holds").select("record").distinct().where("record", "in", part).where(this.live).execute());
    return new Set(rows.map((r) => r.record));
  }

  async inUse(ids?: string[]) {
    if (ids && !ids.length) return new Set<string>();
    const { rows } = await sql<{ id: string }>`
      WITH RECURSIVE used(id) AS (
        SELECT record FROM holds WHERE ${this.live}
        UNION SELECT r.id FROM records r JOIN used u ON r.twin = u.id
        UNION SELECT r.twin FROM records r JOIN used u ON r.id = u.id WHERE r.twin IS NOT NULL
        UNION SELECT p.parent FROM parents p JOIN used u ON p.child = u.id
      )
      SELECT id FROM used`.execute(this.db);
    const all = new Set(rows.map((r) => r.id));
    if (!ids) return all;
    return new Set(ids.filter((id) => all.has(id)));
  }

  async add(record: string, owner: string | null, expiresAt: number | null) {
    await this.db.insertInto("holds").values({ id: null, record, owner, expiresAt, createdAt: this.now }).execute();
  }

  async end(filter: HoldFilter) {
    let q = this.db.selectFrom("holds").select(["id", "record"]);
    if (filter.records) q = q.where("record", "in", filter.records.length ? filter.records : [""]);
    if (filter.owner === null) q = q.where("owner", "is", null);
    else if (filter.owner !== undefined) q = q.where("owner", "=", filter.owner);
    if (filter.owners) q = q.where("owner", "in", filter.owners.length ? filter.owners : [""]);
    if (filter.expired) q = q.where("expiresAt", "<=", this.now);
    if (filter.handedOut) {
      q = q.where("expiresAt", "is not", null)
        .where((eb) => eb.or([eb("owner", "is", null), eb("owner", "not like", `${leasePrefix}%`)]));
    }
    const rows = await q.execute();
    if (!rows.length) return;
    await eachChunk(rows.map((r) => String(r.id)), (part) => this.db.deleteFrom("holds").where("id", "in", part.map(Number)).execute());
    if (!filter.uncounted) await this.bump([...new Set(rows.map((r) => r.record))]);
  }

  async owners() {
    const { rows } = await sql<{ owner: string }>`
      SELECT owner FROM holds WHERE owner IS NOT NULL
      UNION SELECT owner FROM records WHERE owner IS NOT NULL
      UNION SELECT owner FROM blobHolds`.execute(this.db);
    return rows.map((r) => r.owner);
  }

  touch(ids: string[]) {
    return this.bump(ids);
  }

  async anyExpired() {
    const row = await this.db.selectFrom("holds").select("id").where("expiresAt", "<=", this.now).limit(1).executeTakeFirst();
    return row !== undefined;
  }
}
