/**
 * The status tables (core/status.ts) on Kysely: usage samples, prune and GC runs, key
 * lookups. Each write is a short transaction of its own on the store's connection,
 * queued with the record transactions (`serial`), never inside one: a statistic is not
 * part of any record's change, and its write must not hold a record transaction open.
 * `BEGIN IMMEDIATE`, as for records: a write that reads first must not find the
 * database changed under it by another process.
 *
 *   const status = statusStore(db, serial);
 *   await status.addSample({ at: Date.now(), records: 3, used: 4096, ... });
 */
import { CompiledQuery, type Kysely, sql } from "kysely";
import {
  type KeyCounts, type KeyLookup, keyOutcomes, limits, type NewRun, type PruneRun, type StatusStore, type UsageSample,
} from "../core/status.ts";
import type { Database } from "./schema.ts";

/** Runs one piece of work on the store's connection in turn with everything else. */
export type Serial = <T>(fn: () => Promise<T>) => Promise<T>;

type Bounded = "usageSamples" | "pruneRuns" | "keyLookups";

const dataVersion = CompiledQuery.raw("PRAGMA data_version");

export function statusStore(db: Kysely<Database>, serial: Serial): StatusStore {
  // Writes to the status tables by this process: data_version only moves for others'.
  let writes = 0;
  const write = (fn: (db: Kysely<Database>) => Promise<void>) =>
    serial(() =>
      db.connection().execute(async (conn) => {
        await sql`BEGIN IMMEDIATE`.execute(conn);
        try {
          await fn(conn);
          await sql`COMMIT`.execute(conn);
        } catch (err) {
          await sql`ROLLBACK`.execute(conn).catch(() => {});
          throw err;
        }
      })
    ).finally(() => writes++);

  /** Keeps the newest `keep` rows; ids only grow, so that is one range delete. */
  const trim = (db: Kysely<Database>, table: Bounded, keep: number) =>
    db.deleteFrom(table)
      .where("id", "<=", sql<number>`(SELECT max(id) FROM ${sql.table(table)}) - ${keep}`)
      .execute();

  const newest = (limit: number, cap: number) => Math.max(1, Math.min(limit, cap));

  return {
    addSample: (s: UsageSample, keep = limits.samples) =>
      write(async (db) => {
        await db.insertInto("usageSamples").values(s).execute();
        await trim(db, "usageSamples", keep);
      }),

    samples: (limit = limits.samples) =>
      serial(async () => {
        const rows = await db.selectFrom("usageSamples")
          .select(["at", "records", "used", "reclaimable", "metadata", "content", "fsSize", "fsFree"])
          .orderBy("id", "desc").limit(newest(limit, limits.samples)).execute();
        return rows.reverse();
      }),

    addRun: (r: NewRun, keep = limits.runs) =>
      write(async (db) => {
        const options = JSON.stringify(r.options);
        if (r.trigger === "gc" && r.records === 0 && r.error === null) {
          // Another idle run of the policy whose last run was idle too: count it there.
          const last = await db.selectFrom("pruneRuns").select(["id", "records", "error", "options"])
            .where("trigger", "=", "gc").where("policy", "=", r.policy)
            .orderBy("id", "desc").limit(1).executeTakeFirst();
          if (last && last.records === 0 && last.error === null && last.options === options) {
            await db.updateTable("pruneRuns")
              .set({ finishedAt: r.finishedAt, runs: sql`runs + 1` })
              .where("id", "=", last.id).execute();
            return;
          }
        }
        await db.insertInto("pruneRuns").values({ ...r, options }).execute();
        await trim(db, "pruneRuns", keep);
      }),

    runs: (limit = limits.runs) =>
      serial(async () => {
        const rows = await db.selectFrom("pruneRuns").selectAll()
          .orderBy("id", "desc").limit(newest(limit, limits.runs)).execute();
        return rows.map((row): PruneRun => ({ ...row, options: JSON.parse(row.options) }));
      }),

    countLookup: (l: KeyLookup, keep = limits.lookups) =>
      write(async (db) => {
        await db.insertInto("keyLookups").values(l).execute();
        await db.insertInto("keyCounts").values({ outcome: l.outcome, count: 1 })
          .onConflict((oc) => oc.column("outcome").doUpdateSet({ count: sql`count + 1` })).execute();
        await trim(db, "keyLookups", keep);
      }),

    lookupCounts: () =>
      serial(async () => {
        const counts = Object.fromEntries(keyOutcomes.map((o) => [o, 0])) as KeyCounts;
        for (const row of await db.selectFrom("keyCounts").selectAll().execute()) counts[row.outcome] = row.count;
        return counts;
      }),

    lookups: (limit = limits.lookups) =>
      serial(() =>
        db.selectFrom("keyLookups").select(["at", "name", "outcome", "matched"])
          .orderBy("id", "desc").limit(newest(limit, limits.lookups)).execute()
      ),

    async marker() {
      const { rows } = await serial(() => db.executeQuery<{ data_version: number }>(dataVersion));
      return `${rows[0]!.data_version}.${writes}`;
    },
  };
}
