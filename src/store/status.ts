/**
 * The status tables (core/status.ts) on Kysely: usage samples, prune and GC runs, key
 * lookups (counted on every `key get`, so in fixed statements: statements.ts). Each
 * write is a short transaction of its own on the store's connection,
 * queued with the record transactions (`serial`), never inside one: a statistic is not
 * part of any record's change, and its write must not hold a record transaction open.
 * `BEGIN IMMEDIATE` through the store's own `immediate`, as for records: a write that
 * reads first must not find the database changed under it by another process, and a
 * failure reads as the store's do (no space, locked).
 *
 *   const status = statusStore(statements, kysely, serial, immediate);
 *   await status.addSample({ at: Date.now(), records: 3, used: 4096, ... });
 */
import type { Kysely } from "kysely";
import {
  type KeyCounts, type KeyLookup, keyOutcomes, limits, type NewRun, type PruneRun, type StatusStore, type UsageSample,
} from "../core/status.ts";
import type { Database } from "./schema.ts";
import type { Statements } from "./statements.ts";

/** Runs one piece of work on the store's connection in turn with everything else. */
export type Serial = <T>(fn: () => Promise<T>) => Promise<T>;

type Bounded = "usageSamples" | "pruneRuns" | "keyLookups";

export function statusStore(
  stmts: Statements,
  kysely: () => Promise<Kysely<Database>>,
  serial: Serial,
  immediate: (fn: () => Promise<void>) => Promise<void>,
): StatusStore {
  // Writes to the status tables by this process: data_version only moves for others'.
  let writes = 0;
  const inTransaction = (fn: () => Promise<void>) => immediate(fn).finally(() => writes++);
  // Kysely is loaded before the write lock is taken: others wait for none of it.
  const write = async (fn: (db: Kysely<Database>) => Promise<void>) => {
    const db = await kysely();
    return inTransaction(() => fn(db));
  };
  const reading = <T>(fn: (db: Kysely<Database>) => Promise<T>) => serial(async () => fn(await kysely()));

  /** Keeps the newest `keep` rows; ids only grow, so that is one range delete. */
  const trim = (table: Bounded, keep: number) => stmts.run(`DELETE FROM ${table} WHERE id <= (SELECT max(id) FROM ${table}) - ?`, [keep]);

  const newest = (limit: number, cap: number) => Math.max(1, Math.min(limit, cap));

  return {
    addSample: (s: UsageSample, keep = limits.samples) =>
      write(async (db) => {
        await db.insertInto("usageSamples").values(s).execute();
        trim("usageSamples", keep);
      }),

    samples: (limit = limits.samples) =>
      reading(async (db) => {
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
              .set((eb) => ({ finishedAt: r.finishedAt, runs: eb("runs", "+", 1) }))
              .where("id", "=", last.id).execute();
            return;
          }
        }
        await db.insertInto("pruneRuns").values({ ...r, options }).execute();
        trim("pruneRuns", keep);
      }),

    runs: (limit = limits.runs) =>
      reading(async (db) => {
        const rows = await db.selectFrom("pruneRuns").selectAll()
          .orderBy("id", "desc").limit(newest(limit, limits.runs)).execute();
        return rows.map((row): PruneRun => ({ ...row, options: JSON.parse(row.options) }));
      }),

    countLookup: (l: KeyLookup, keep = limits.lookups) =>
      inTransaction(async () => {
        stmts.run("INSERT INTO keyLookups (at, name, outcome, matched) VALUES (?, ?, ?, ?)", [l.at, l.name, l.outcome, l.matched]);
        stmts.run("INSERT INTO keyCounts (outcome, count) VALUES (?, 1) ON CONFLICT (outcome) DO UPDATE SET count = count + 1", [l.outcome]);
        trim("keyLookups", keep);
      }),

    lookupCounts: () =>
      reading(async (db) => {
        const counts = Object.fromEntries(keyOutcomes.map((o) => [o, 0])) as KeyCounts;
        for (const row of await db.selectFrom("keyCounts").selectAll().execute()) counts[row.outcome] = row.count;
        return counts;
      }),

    lookups: (limit = limits.lookups) =>
      reading((db) =>
        db.selectFrom("keyLookups").select(["at", "name", "outcome", "matched"])
          .orderBy("id", "desc").limit(newest(limit, limits.lookups)).execute()
      ),

    async marker() {
      const row = await serial(async () => stmts.first<{ data_version: number }>("PRAGMA data_version"));
      return `${row!.data_version}.${writes}`;
    },
  };
}
