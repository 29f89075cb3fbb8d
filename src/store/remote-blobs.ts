/** The remote-blobs port on SQLite: one row per blob and repository, stamped when seen. */
import type { RemoteBlobs } from "../core/ports/remote-blobs.ts";
import type { Conn } from "./tx.ts";

export class SqlRemoteBlobs implements RemoteBlobs {
  constructor(private c: Conn) {}

  async repositories(digest: string) {
    return this.c.s.all<{ repository: string }>(
      "SELECT repository FROM remoteBlobs WHERE digest = ? ORDER BY seenAt DESC, repository", [digest],
    ).map((r) => r.repository);
  }

  async add(repository: string, digests: string[]) {
    for (const digest of new Set(digests)) {
      this.c.s.run(
        "INSERT INTO remoteBlobs (digest, repository, seenAt) VALUES (?, ?, ?) ON CONFLICT (digest, repository) DO UPDATE SET seenAt = excluded.seenAt",
        [digest, repository, this.c.now],
      );
    }
  }
}
