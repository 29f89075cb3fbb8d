/** The parent-links port on SQLite: `parents(child, position, parent)`. */
import type { Links } from "../core/ports/records.ts";
import type { ParentsTable } from "./schema.ts";
import { LIST, list } from "./statements.ts";
import type { Conn } from "./tx.ts";

export class SqlLinks implements Links {
  constructor(private c: Conn) {}

  async parents(ids: string[]) {
    const out = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (!ids.length) return out;
    const rows = this.c.s.all<ParentsTable>(`SELECT * FROM parents WHERE child IN ${LIST} ORDER BY child, position`, [list(ids)]);
    for (const r of rows) out.get(r.child)?.push(r.parent);
    return out;
  }

  async children(ids: string[]) {
    const out = new Map<string, string[]>();
    if (!ids.length) return out;
    for (const r of this.c.s.all<{ parent: string; child: string }>(`SELECT parent, child FROM parents WHERE parent IN ${LIST}`, [list(ids)])) {
      const kids = out.get(r.parent);
      if (kids) kids.push(r.child);
      else out.set(r.parent, [r.child]);
    }
    return out;
  }

  // Unordered: ordering 100k links by the index costs a lookup per row; callers sort.
  async all() {
    return this.c.s.all<ParentsTable>("SELECT * FROM parents");
  }

  async unlink(parents: string[]) {
    if (!parents.length) return;
    const p = [list(parents)];
    const children = this.c.s.all<{ child: string }>(`SELECT child FROM parents WHERE parent IN ${LIST}`, p).map((r) => r.child);
    this.c.s.run(`DELETE FROM parents WHERE parent IN ${LIST}`, p);
    if (!children.length) return;
    // A child left with no parent at all becomes a base.
    this.c.s.run(
      `UPDATE records SET kind = 'base' WHERE id IN ${LIST} AND NOT EXISTS (SELECT 1 FROM parents WHERE parents.child = records.id)`,
      [list(children)],
    );
  }

  async remove(children: string[]) {
    if (children.length) this.c.s.run(`DELETE FROM parents WHERE child IN ${LIST}`, [list(children)]);
  }
}
