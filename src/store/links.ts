/** The parent-links port on SQLite: `parents(child, position, parent)`. */
import type { Kysely } from "kysely";
import type { Links } from "../core/ports/records.ts";
import { chunked, eachChunk } from "./query.ts";
import type { Database } from "./schema.ts";

export class SqlLinks implements Links {
  constructor(private db: Kysely<Database>) {}

  async parents(ids: string[]) {
    const rows = await chunked(ids, (part) =>
      this.db.selectFrom("parents").selectAll().where("child", "in", part).orderBy("child").orderBy("position").execute());
    const out = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const r of rows) out.get(r.child)?.push(r.parent);
    return out;
  }

  async children(ids: string[]) {
    const rows = await chunked(ids, (part) => this.db.selectFrom("parents").select(["parent", "child"]).where("parent", "in", part).execute());
    const out = new Map<string, string[]>();
    for (const r of rows) {
      const list = out.get(r.parent);
      if (list) list.push(r.child);
      else out.set(r.parent, [r.child]);
    }
    return out;
  }

  // Unordered: ordering 100k links by the index costs a lookup per row; callers sort.
  all() {
    return this.db.selectFrom("parents").selectAll().execute();
  }

  async unlink(parents: string[]) {
    await eachChunk(parents, async (part) => {
      const children = await this.db.selectFrom("parents").select("child").where("parent", "in", part).execute();
      await this.db.deleteFrom("parents").where("parent", "in", part).execute();
      const ids = children.map((c) => c.child);
      if (!ids.length) return;
      await this.db.updateTable("records").set({ kind: "base" }).where("id", "in", ids)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom("parents").select("child").whereRef("parents.child", "=", "records.id"))))
        .execute();
    });
  }

  async remove(children: string[]) {
    await eachChunk(children, (part) => this.db.deleteFrom("parents").where("child", "in", part).execute());
  }
}
