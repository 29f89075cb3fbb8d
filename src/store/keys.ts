/** The keys port on SQLite: one row per name. */
import type { Kysely } from "kysely";
import type { Keys } from "../core/ports/keys.ts";
import type { Database } from "./schema.ts";

export class SqlKeys implements Keys {
  constructor(private db: Kysely<Database>, private now: number) {}

  async get(name: string) {
    const row = await this.db.selectFrom("keys").select("record").where("name", "=", name).executeTakeFirst();
    return row?.record;
  }

  async set(name: string, record: string) {
    const updatedAt = this.now;
    await this.db.insertInto("keys").values({ name, record, updatedAt })
      .onConflict((oc) => oc.column("name").doUpdateSet({ record, updatedAt })).execute();
  }

  list() {
    return this.db.selectFrom("keys").selectAll().orderBy("name").execute();
  }

  async delete(name: string) {
    const r = await this.db.deleteFrom("keys").where("name", "=", name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
