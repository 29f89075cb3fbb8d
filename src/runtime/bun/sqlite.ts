/** bun:sqlite for Kysely, with prepared statements cached by SQL text. */
import { Database } from "bun:sqlite";
import type { SqliteDatabase } from "kysely";

export function openSqlite(file: string): SqliteDatabase {
  const db = new Database(file, { create: true, strict: true });
  return {
    // `query` caches the statement, so Kysely's per-call prepare costs nothing.
    prepare: (text: string) => db.query(text) as never,
    close: () => db.close(),
  };
}
