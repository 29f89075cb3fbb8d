/** The leases port on SQLite: leases and their blob lists; their record holds live in `holds`. */
import type { Kysely } from "kysely";
import { leaseOf, leaseOwner, type Leases } from "../core/ports/leases.ts";
import type { Database } from "./schema.ts";

export class SqlLeases implements Leases {
  constructor(private db: Kysely<Database>, private now: number) {}

  get(id: string) {
    return this.db.selectFrom("leases").selectAll().where("id", "=", id).executeTakeFirst();
  }

  list() {
    return this.db.selectFrom("leases").selectAll().orderBy("createdAt").execute();
  }

  async create(id: string, expiresAt: number | null) {
    await this.db.insertInto("leases").values({ id, expiresAt, createdAt: this.now }).execute();
  }

  async delete(ids: string[]) {
    if (!ids.length) return;
    await this.db.deleteFrom("leaseBlobs").where("lease", "in", ids).execute();
    await this.db.deleteFrom("leases").where("id", "in", ids).execute();
  }

  async addBlob(lease: string, digest: string) {
    await this.db.insertInto("leaseBlobs").values({ lease, digest }).onConflict((oc) => oc.doNothing()).execute();
  }

  async blobs(lease: string) {
    return (await this.db.selectFrom("leaseBlobs").select("digest").where("lease", "=", lease).execute()).map((r) => r.digest);
  }

  async records(ids: string[]) {
    const owners = ids.map(leaseOwner);
    const rows = owners.length
      ? await this.db.selectFrom("holds").select(["owner", "record"]).distinct().where("owner", "in", owners).execute()
      : [];
    const out = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const r of rows) out.get(leaseOf(r.owner!))?.push(r.record);
    return out;
  }
}
