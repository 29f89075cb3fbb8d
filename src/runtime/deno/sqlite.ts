/** node:sqlite for Kysely on Deno: statements cached by SQL text, `reader` from columns(). */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { SqliteDatabase, SqliteStatement } from "kysely";

export function openSqlite(file: string): SqliteDatabase {
  const db = new DatabaseSync(file);
  const cache = new Map<string, SqliteStatement>();
  const wrap = (stmt: StatementSync): SqliteStatement => ({
    reader: stmt.columns().length > 0,
    all: (params) => stmt.all(...(params as never[])),
    run: (params) => {
      const { changes, lastInsertRowid } = stmt.run(...(params as never[]));
      return { changes, lastInsertRowid };
    },
    iterate: (params) => stmt.iterate(...(params as never[])) as never,
  });
  return {
    prepare(text: string) {
      let stmt = cache.get(text);
      if (!stmt) cache.set(text, (stmt = wrap(db.prepare(text))));
      return stmt;
    },
    close: () => db.close(),
  };
}
