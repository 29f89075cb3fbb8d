/**
 * Migrations are embedded in the binary and applied on open, in one `BEGIN IMMEDIATE`
 * transaction, with `PRAGMA user_version` counting how many ran. Kysely's Migrator is
 * not used: two processes opening a new root at once would both run it, and the second
 * fails with "table already exists"; the write lock taken first makes them queue.
 */
import { failed } from "../core/errors.ts";
import type { Statements } from "./statements.ts";
import init from "./migrations/001_init.sql" with { type: "text" };
import leases from "./migrations/002_leases.sql" with { type: "text" };
import blobs from "./migrations/003_blobs.sql" with { type: "text" };
import blobHolds from "./migrations/004_blob_holds.sql" with { type: "text" };
import status from "./migrations/005_status.sql" with { type: "text" };
import remote from "./migrations/006_remote.sql" with { type: "text" };

const files = [init, leases, blobs, blobHolds, status, remote];

/** The schema this strata writes: `PRAGMA user_version` once every migration ran. */
export const SCHEMA_VERSION = files.length;

const statements = (text: string) =>
  text.split(/;\s*\n/).filter((s) => s.replace(/--.*$/gm, "").trim());

const userVersion = (s: Statements) => s.first<{ user_version: number }>("PRAGMA user_version")?.user_version ?? 0;

/** Runs the migrations a store lacks; the caller found its version short of SCHEMA_VERSION. */
export function migrate(s: Statements): void {
  s.run("BEGIN IMMEDIATE");
  try {
    // Read again under the lock: another process may have migrated meanwhile.
    const version = userVersion(s);
    if (version > files.length) {
      throw failed(`the store was written by a newer strata (schema ${version}, this one knows ${files.length})`);
    }
    for (const text of files.slice(version)) {
      for (const statement of statements(text)) s.run(statement);
    }
    s.run(`PRAGMA user_version = ${files.length}`);
    s.run("COMMIT");
  } catch (err) {
    try {
      s.run("ROLLBACK");
    } catch { /* no transaction left to end */ }
    throw err;
  }
}
