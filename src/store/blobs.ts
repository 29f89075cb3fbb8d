/** The blobs port on SQLite: what the content store holds, by digest, linked by diffID. */
import { type Kysely, sql } from "kysely";
import type { BlobRow, Blobs } from "../core/ports/blobs.ts";
import { eachChunk } from "./query.ts";
import type { Database } from "./schema.ts";

export class SqlBlobs implements Blobs {
  constructor(private db: Kysely<Database>, private now: number) {}

  get(digest: string) {
    return this.db.selectFrom("blobs").selectAll().where("digest", "=", digest).executeTakeFirst();
  }

  async anyOfSize(size: number) {
    return (await this.db.selectFrom("blobs").select("digest").where("size", "=", size).limit(1).executeTakeFirst()) !== undefined;
  }

  byDiffID(diffID: string) {
    return this.db.selectFrom("blobs").selectAll().where("diffID", "=", diffID).execute();
  }

  async put(b: Omit<BlobRow, "createdAt">) {
    await this.db.insertInto("blobs").values({ ...b, createdAt: this.now }).onConflict((oc) => oc.column("digest").doNothing()).execute();
  }

  async delete(digests: string[]) {
    await eachChunk(digests, async (part) => {
      await this.db.deleteFrom("blobs").where("digest", "in", part).execute();
      await this.db.deleteFrom("leaseBlobs").where("digest", "in", part).execute();
    });
  }

  all() {
    return this.db.selectFrom("blobs").selectAll().execute();
  }

  async referenced() {
    const { rows } = await sql<{ digest: string }>`
      SELECT blobDigest AS digest FROM records WHERE blobDigest IS NOT NULL
      UNION SELECT b.digest FROM blobs b JOIN records r ON r.blobDiffID = b.diffID
      UNION SELECT digest FROM leaseBlobs
      UNION SELECT digest FROM blobHolds`.execute(this.db);
    return new Set(rows.map((r) => r.digest));
  }

  async hold(digest: string, owner: string) {
    await this.db.insertInto("blobHolds").values({ digest, owner }).onConflict((oc) => oc.doNothing()).execute();
  }

  async release(digests: string[], owner: string) {
    await eachChunk(digests, (part) => this.db.deleteFrom("blobHolds").where("owner", "=", owner).where("digest", "in", part).execute());
  }

  async releaseOwners(owners: string[]) {
    await eachChunk(owners, (part) => this.db.deleteFrom("blobHolds").where("owner", "in", part).execute());
  }
}
