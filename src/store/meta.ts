/** The meta port on SQLite: named values. */
import type { Kysely } from "kysely";
import type { Meta } from "../core/ports/meta.ts";
import type { Database } from "./schema.ts";

export class SqlMeta implements Meta {
  constructor(private db: Kysely<Database>) {}

  async get(name: string) {
    const row = await this.db.selectFrom("meta").select("value").where("name", "=", name).executeTakeFirst();
    return row?.value;
  }

  async set(name: string, value: string) {
    await this.db.insertInto("meta").values({ name, value }).onConflict((oc) => oc.column("name").doUpdateSet({ value })).execute();
  }
}
