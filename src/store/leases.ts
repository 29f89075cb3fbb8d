/** The leases port on SQLite: leases and their blob lists; their record holds live in `holds`. */
import { leaseOf, leaseOwner, type Leases } from "../core/ports/leases.ts";
import type { LeasesTable } from "./schema.ts";
import { LIST, list } from "./statements.ts";
import type { Conn } from "./tx.ts";

export class SqlLeases implements Leases {
  constructor(private c: Conn) {}

  async get(id: string) {
    return this.c.s.first<LeasesTable>("SELECT * FROM leases WHERE id = ?", [id]);
  }

  async list() {
    return this.c.s.all<LeasesTable>("SELECT * FROM leases ORDER BY createdAt");
  }

  async create(id: string, expiresAt: number | null) {
    this.c.s.run("INSERT INTO leases (id, expiresAt, createdAt) VALUES (?, ?, ?)", [id, expiresAt, this.c.now]);
  }

  async delete(ids: string[]) {
    if (!ids.length) return;
    this.c.s.run(`DELETE FROM leaseBlobs WHERE lease IN ${LIST}`, [list(ids)]);
    this.c.s.run(`DELETE FROM leases WHERE id IN ${LIST}`, [list(ids)]);
  }

  async addBlob(lease: string, digest: string) {
    this.c.s.run("INSERT INTO leaseBlobs (lease, digest) VALUES (?, ?) ON CONFLICT DO NOTHING", [lease, digest]);
  }

  async blobs(lease: string) {
    return this.c.s.all<{ digest: string }>("SELECT digest FROM leaseBlobs WHERE lease = ?", [lease]).map((r) => r.digest);
  }

  async records(ids: string[]) {
    const out = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (!ids.length) return out;
    const rows = this.c.s.all<{ owner: string; record: string }>(
      `SELECT DISTINCT owner, record FROM holds WHERE owner IN ${LIST}`, [list(ids.map(leaseOwner))],
    );
    for (const r of rows) out.get(leaseOf(r.owner))?.push(r.record);
    return out;
  }
}
