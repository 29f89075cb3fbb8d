/**
 * Statements straight on the driver, each prepared once per connection (each runtime's
 * adapter keeps them by text: runtime/*\/sqlite.ts). Every command
 * opens the store and runs the same few queries (start-up recovery, a record by id, its
 * holds); through Kysely each cost a fresh process its module (~8 ms to load) and a
 * query built and compiled anew (see store.ts).
 *
 * Lists go in as one JSON array (`IN (SELECT value FROM json_each(?))`): one statement
 * text whatever the length, so it is prepared once and never meets SQLite's cap on
 * bound parameters.
 *
 *     const s = new Statements(database);
 *     s.all<{ id: string }>(`SELECT id FROM records WHERE id IN ${LIST}`, [list(ids)]);
 */
import type { SqliteDatabase } from "kysely";

/** The members of a list bound with `list()`. */
export const LIST = "(SELECT value FROM json_each(?))";

/** A list of strings or numbers as one bound parameter, for `IN ${LIST}`. */
export const list = (items: readonly (string | number)[]) => JSON.stringify(items);

export class Statements {
  constructor(private readonly db: SqliteDatabase) {}

  all<T>(text: string, params: readonly unknown[] = []): T[] {
    return this.db.prepare(text).all(params) as T[];
  }

  first<T>(text: string, params: readonly unknown[] = []): T | undefined {
    return this.all<T>(text, params)[0];
  }

  /** Runs a statement that returns no rows; the number of rows it changed. */
  run(text: string, params: readonly unknown[] = []): number {
    return Number(this.db.prepare(text).run(params).changes);
  }

  /** `INSERT INTO table (…) VALUES (…)` of one row's own fields (names from code, never from input). */
  insert(table: string, row: object): number {
    const names = Object.keys(row).filter((k) => (row as Record<string, unknown>)[k] !== undefined);
    const text = `INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`;
    return this.run(text, names.map((k) => (row as Record<string, unknown>)[k]));
  }
}
