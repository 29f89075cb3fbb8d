/** The remote-blobs port on SQLite: one row per blob and repository, stamped when seen. */
import type { Kysely } from "kysely";
import type { RemoteBlobs } from "../core/ports/remote-blobs.ts";
import { eachChunk } from "./query.ts";
import type { Database } from "./schema.ts";

export class SqlRemoteBlobs implements RemoteBlobs {
  constructor(private db: Kysely<Database>, private now: number) {}

  async repositories(digest: string) {
    const rows = await this.db.selectFrom("remoteBlobs").select("repository").where("digest", "=", digest)
      .orderBy("seenAt", "desc").orderBy("repository").execute();
    return rows.map((r) => r.repository);
  }

  async add(repository: string, digests: string[]) {
    const seenAt = this.now;
    await eachChunk([...new Set(digests)], (part) =>
      this.db.insertInto("remoteBlobs").values(part.map((digest) => ({ digest, repository, seenAt })))
        .onConflict((oc) => oc.columns(["digest", "repository"]).doUpdateSet({ seenAt })).execute());
  }
}
