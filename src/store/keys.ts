/** The keys port on SQLite: one row per name. */
import type { Keys } from "../core/ports/keys.ts";
import type { KeysTable } from "./schema.ts";
import type { Conn } from "./tx.ts";

export class SqlKeys implements Keys {
  constructor(private c: Conn) {}

  async get(name: string) {
    return this.c.s.first<{ record: string }>("SELECT record FROM keys WHERE name = ?", [name])?.record;
  }

  async set(name: string, record: string) {
    this.c.s.run(
      "INSERT INTO keys (name, record, updatedAt) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET record = excluded.record, updatedAt = excluded.updatedAt",
      [name, record, this.c.now],
    );
  }

  async list() {
    return this.c.s.all<KeysTable>("SELECT * FROM keys ORDER BY name");
  }

  async delete(name: string) {
    return this.c.s.run("DELETE FROM keys WHERE name = ?", [name]) > 0;
  }
}
