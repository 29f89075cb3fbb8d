/** The meta port on SQLite: named values. */
import type { Meta } from "../core/ports/meta.ts";
import type { Conn } from "./tx.ts";

export class SqlMeta implements Meta {
  constructor(private c: Conn) {}

  async get(name: string) {
    return this.c.s.first<{ value: string }>("SELECT value FROM meta WHERE name = ?", [name])?.value;
  }

  async set(name: string, value: string) {
    this.c.s.run("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", [name, value]);
  }
}
