/**
 * Migrations are embedded in the binary and applied on open. `PRAGMA user_version`
 * records how many ran, so an up-to-date store opens without a write.
 */
import { type Kysely, sql } from "kysely";
import { type Migration, Migrator } from "kysely/migration";
import { StrataError } from "../core/errors.ts";
import init from "./migrations/001_init.sql" with { type: "text" };
import leases from "./migrations/002_leases.sql" with { type: "text" };

const files: [string, string][] = [["001_init", init], ["002_leases", leases]];

function migration(text: string): Migration {
  return {
    async up(db) {
      // The driver runs one statement per call.
      for (const statement of text.split(/;\s*\n/)) {
        if (statement.replace(/--.*$/gm, "").trim()) await sql.raw(statement).execute(db);
      }
    },
  };
}

export async function migrate(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ user_version: number }>`PRAGMA user_version`.execute(db);
  const version = rows[0]?.user_version ?? 0;
  if (version === files.length) return;
  if (version > files.length) {
    throw new StrataError("error", `the store was written by a newer strata (schema ${version}, this one knows ${files.length})`);
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => Object.fromEntries(files.map(([n, t]) => [n, migration(t)])) },
  });
  // Two processes may open a new root at once: the loser sees SQLITE_BUSY and retries.
  for (let attempt = 0; ; attempt++) {
    const { error } = await migrator.migrateToLatest();
    if (!error) break;
    if (attempt >= 20 || !/busy|locked/i.test(String(error))) throw error;
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
  }
  await sql.raw(`PRAGMA user_version = ${files.length}`).execute(db);
}
