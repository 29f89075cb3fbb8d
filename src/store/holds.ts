/**
 * The holds port on SQLite. "In use" is computed upward from live holds in one
 * recursive query: a held record, its twin, and every ancestor of either.
 */
import type { HoldFilter, Holds } from "../core/ports/holds.ts";
import { leasePrefix } from "../core/ports/leases.ts";
import { LIST, list } from "./statements.ts";
import type { Conn } from "./tx.ts";

/** A hold that has not expired at the bound time (its owner's life is checked elsewhere). */
const LIVE = "(holds.expiresAt IS NULL OR holds.expiresAt > ?)";

const IN_USE = `
  WITH RECURSIVE used(id) AS (
    SELECT record FROM holds WHERE ${LIVE}
    UNION SELECT r.id FROM records r JOIN used u ON r.twin = u.id
    UNION SELECT r.twin FROM records r JOIN used u ON r.id = u.id WHERE r.twin IS NOT NULL
    UNION SELECT p.parent FROM parents p JOIN used u ON p.child = u.id
  )
  SELECT id FROM used`;

export class SqlHolds implements Holds {
  constructor(private c: Conn) {}

  /** Counts a use of records left with no live hold. */
  private bump(ids: string[]) {
    if (!ids.length) return;
    this.c.s.run(
      `UPDATE records SET usageCount = usageCount + 1, lastUsedAt = ?
       WHERE id IN ${LIST} AND NOT EXISTS (SELECT 1 FROM holds WHERE holds.record = records.id AND ${LIVE})`,
      [this.c.now, list(ids), this.c.now],
    );
  }

  async held(ids: string[]) {
    if (!ids.length) return new Set<string>();
    const rows = this.c.s.all<{ record: string }>(
      `SELECT DISTINCT record FROM holds WHERE record IN ${LIST} AND ${LIVE}`, [list(ids), this.c.now],
    );
    return new Set(rows.map((r) => r.record));
  }

  async inUse(ids?: string[]) {
    if (ids && !ids.length) return new Set<string>();
    const all = new Set(this.c.s.all<{ id: string }>(IN_USE, [this.c.now]).map((r) => r.id));
    if (!ids) return all;
    return new Set(ids.filter((id) => all.has(id)));
  }

  async add(record: string, owner: string | null, expiresAt: number | null) {
    this.c.s.run("INSERT INTO holds (record, owner, expiresAt, createdAt) VALUES (?, ?, ?, ?)", [record, owner, expiresAt, this.c.now]);
  }

  async end(filter: HoldFilter) {
    // The filter's parts, each a condition of its own; the statement text depends only on which are given.
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.records) (where.push(`record IN ${LIST}`), params.push(list(filter.records)));
    if (filter.owner === null) where.push("owner IS NULL");
    else if (filter.owner !== undefined) (where.push("owner = ?"), params.push(filter.owner));
    if (filter.owners) (where.push(`owner IN ${LIST}`), params.push(list(filter.owners)));
    if (filter.expired) (where.push("expiresAt <= ?"), params.push(this.c.now));
    if (filter.handedOut) (where.push("expiresAt IS NOT NULL AND (owner IS NULL OR owner NOT LIKE ?)"), params.push(`${leasePrefix}%`));
    const rows = this.c.s.all<{ id: number; record: string }>(
      `SELECT id, record FROM holds${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`, params,
    );
    if (!rows.length) return;
    this.c.s.run(`DELETE FROM holds WHERE id IN ${LIST}`, [list(rows.map((r) => r.id))]);
    if (!filter.uncounted) this.bump([...new Set(rows.map((r) => r.record))]);
  }

  async owners() {
    return this.c.s.all<{ owner: string }>(
      `SELECT owner FROM holds WHERE owner IS NOT NULL
       UNION SELECT owner FROM records WHERE owner IS NOT NULL
       UNION SELECT owner FROM blobHolds`,
    ).map((r) => r.owner);
  }

  async touch(ids: string[]) {
    this.bump(ids);
  }

  async anyExpired() {
    return this.c.s.first("SELECT id FROM holds WHERE expiresAt <= ? LIMIT 1", [this.c.now]) !== undefined;
  }
}
