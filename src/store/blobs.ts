/** The blobs port on SQLite: what the content store holds, by digest, linked by diffID. */
import type { BlobRow, Blobs } from "../core/ports/blobs.ts";
import type { BlobsTable } from "./schema.ts";
import { LIST, list } from "./statements.ts";
import type { Conn } from "./tx.ts";

export class SqlBlobs implements Blobs {
  constructor(private c: Conn) {}

  async get(digest: string) {
    return this.c.s.first<BlobsTable>("SELECT * FROM blobs WHERE digest = ?", [digest]);
  }

  async anyOfSize(size: number) {
    return this.c.s.first("SELECT digest FROM blobs WHERE size = ? LIMIT 1", [size]) !== undefined;
  }

  async byDiffID(diffID: string) {
    return this.c.s.all<BlobsTable>("SELECT * FROM blobs WHERE diffID = ?", [diffID]);
  }

  async put(b: Omit<BlobRow, "createdAt">) {
    this.c.s.run(
      "INSERT INTO blobs (digest, mediaType, size, diffID, createdAt) VALUES (?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
      [b.digest, b.mediaType, b.size, b.diffID, this.c.now],
    );
  }

  async delete(digests: string[]) {
    if (!digests.length) return;
    this.c.s.run(`DELETE FROM blobs WHERE digest IN ${LIST}`, [list(digests)]);
    this.c.s.run(`DELETE FROM leaseBlobs WHERE digest IN ${LIST}`, [list(digests)]);
  }

  async all() {
    return this.c.s.all<BlobsTable>("SELECT * FROM blobs");
  }

  async referenced() {
    const rows = this.c.s.all<{ digest: string }>(
      `SELECT blobDigest AS digest FROM records WHERE blobDigest IS NOT NULL
       UNION SELECT b.digest FROM blobs b JOIN records r ON r.blobDiffID = b.diffID
       UNION SELECT digest FROM leaseBlobs
       UNION SELECT digest FROM blobHolds`,
    );
    return new Set(rows.map((r) => r.digest));
  }

  async hold(digest: string, owner: string) {
    this.c.s.run("INSERT INTO blobHolds (digest, owner) VALUES (?, ?) ON CONFLICT DO NOTHING", [digest, owner]);
  }

  async release(digests: string[], owner: string) {
    if (digests.length) this.c.s.run(`DELETE FROM blobHolds WHERE owner = ? AND digest IN ${LIST}`, [owner, list(digests)]);
  }

  async releaseOwners(owners: string[]) {
    if (owners.length) this.c.s.run(`DELETE FROM blobHolds WHERE owner IN ${LIST}`, [list(owners)]);
  }
}
