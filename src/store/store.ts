/**
 * The metadata store on SQLite through Kysely. One connection per process, WAL, a busy
 * timeout, and `BEGIN IMMEDIATE` for writers, so two processes on one root queue up
 * instead of failing, and a crash rolls back whatever was half done.
 */
import { statfsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { CompiledQuery, Kysely, SqliteDialect, type SqliteDatabase, sql } from "kysely";
import type { Clock } from "../core/ports/host.ts";
import type { MetadataStore, Tx } from "../core/ports/metadata.ts";
import { migrate, SCHEMA_VERSION } from "./migrate.ts";
import { noSpace } from "../core/errors.ts";
import type { Database } from "./schema.ts";
import { statusStore } from "./status.ts";
import { makeTx } from "./tx.ts";

/**
 * Whether SQLite failed for want of space: SQLITE_FULL, or an I/O error (growing the WAL
 * or its shared-memory file) on a filesystem with next to nothing free.
 */
function full(err: unknown, file: string): boolean {
  const message = String((err as Error)?.message ?? err);
  if (/database or disk is full/i.test(message)) return true;
  if (!/disk I\/O error/i.test(message)) return false;
  try {
    const st = statfsSync(dirname(file));
    return Number(st.bavail) * Number(st.bsize) < 1 << 20 || Number(st.ffree) < 8;
  } catch {
    return false;
  }
}

const noRoom = (doing: string) => noSpace(`${doing} the metadata database: no space left on the device`);

/** Opens tried before "locked" is believed (about 10 s of waiting in all). */
const OPEN_TRIES = 45;

/** Opens a SQLite file; each runtime supplies one (`runtime/*\/sqlite.ts`). */
export type OpenSqlite = (file: string) => SqliteDatabase;

export async function openStore(file: string, open: OpenSqlite, clock: Clock): Promise<MetadataStore> {
  let db: Kysely<Database>;
  for (let attempt = 1; ; attempt++) {
    let database: SqliteDatabase | undefined;
    let kysely: Kysely<Database> | undefined;
    try {
      database = open(file);
      // Straight to the driver: every command opens the store, and Kysely's first
      // queries in a process cost a few ms each that these need not pay.
      const pragma = (text: string) => database!.prepare(text).all([]) as { [column: string]: unknown }[];
      pragma("PRAGMA busy_timeout = 10000");
      pragma("PRAGMA journal_mode = WAL");
      pragma("PRAGMA synchronous = NORMAL");
      const version = Number(pragma("PRAGMA user_version")[0]?.user_version ?? 0);
      kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
      if (version !== SCHEMA_VERSION) await migrate(kysely);
      db = kysely;
      break;
    } catch (err) {
      // An open that meets another process's last close (its checkpoint, its WAL going)
      // can be told "locked" at once, without the busy timeout: it is tried again.
      if (kysely) await kysely.destroy().catch(() => {});
      else await Promise.resolve(database?.close()).catch(() => {});
      if (attempt < OPEN_TRIES && /database is locked|SQLITE_BUSY/i.test(String(err))) {
        await new Promise((r) => setTimeout(r, 10 * attempt));
        continue;
      }
      throw full(err, file) ? noRoom("opening") : err;
    }
  }

  // One connection: transactions from concurrent async calls in this process take turns.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };

  /** One transaction; the caller has its turn on the connection (`serial`). */
  const inTurn = <T>(begin: string, fn: (tx: Tx) => Promise<T>) =>
    db.connection().execute(async (conn) => {
      await sql.raw(begin).execute(conn);
      try {
        const result = await fn(makeTx(conn as Kysely<Database>, clock));
        await sql`COMMIT`.execute(conn);
        return result;
      } catch (err) {
        await sql`ROLLBACK`.execute(conn).catch(() => {});
        throw full(err, file) ? noRoom("writing") : err;
      }
    });
  const transaction = <T>(begin: string, fn: (tx: Tx) => Promise<T>) => serial(() => inTurn(begin, fn));

  const busyTimeout = (ms: number) => sql.raw(`PRAGMA busy_timeout = ${ms}`).execute(db);
  // data_version moves when another connection commits; our own commits count here.
  let ownWrites = 0;
  const dataVersion = CompiledQuery.raw("PRAGMA data_version");
  // The status page's tables (status.ts): this connection, in turn with the transactions.
  const status = statusStore(db, serial);

  return {
    read: (fn) => transaction("BEGIN", fn),
    query: (fn) => serial(() => fn(makeTx(db, clock))),
    write: (fn) => transaction("BEGIN IMMEDIATE", fn).finally(() => ownWrites++),
    async version() {
      const { rows } = await serial(() => db.executeQuery<{ data_version: number }>(dataVersion));
      return `${rows[0]!.data_version}.${ownWrites}`;
    },
    async tryWrite(fn) {
      // SQLite's busy handler backs off in steps up to 100 ms, so waiting behind a
      // stream of short writers (a prune) can take long: here we do not wait at all.
      // All in one turn: no other transaction of this process may run without the timeout.
      return serial(async () => {
        await busyTimeout(0);
        try {
          return await inTurn("BEGIN IMMEDIATE", fn).finally(() => ownWrites++);
        } catch (err) {
          if (/busy|locked/i.test(String(err))) return undefined;
          throw err;
        } finally {
          await busyTimeout(10000);
        }
      });
    },
    size() {
      let total = 0;
      for (const suffix of ["", "-wal", "-shm"]) {
        try {
          total += statSync(file + suffix).blocks * 512;
        } catch { /* absent */ }
      }
      return total;
    },
    status: () => status,
    close: () => serial(() => db.destroy()),
  };
}

