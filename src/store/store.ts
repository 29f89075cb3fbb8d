/**
 * The metadata store on SQLite. One connection per process, WAL, a busy timeout, and
 * `BEGIN IMMEDIATE` for writers, so two processes on one root queue up instead of
 * failing, and a crash rolls back whatever was half done.
 *
 * The ports every command uses (records, holds, keys, blobs…) run fixed statements on
 * the driver (statements.ts); Kysely, typed by schema.ts, builds the status page's
 * queries (status.ts) and loads when one first runs. Through Kysely, a command paid
 * ~8 ms to load it and a query built and compiled anew each time: `du` and `path` took
 * 63 and 70 ms, now 53 and 58.
 */
import { statfsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Kysely, SqliteDatabase } from "kysely";
import type { Clock } from "../core/ports/host.ts";
import type { MetadataStore, Tx } from "../core/ports/metadata.ts";
import { migrate, SCHEMA_VERSION } from "./migrate.ts";
import { noSpace, StrataError } from "../core/errors.ts";
import type { Database } from "./schema.ts";
import { Statements } from "./statements.ts";
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

/** How long a statement waits for another process's lock before SQLite says "locked". */
const BUSY_MS = 10_000;

/** SQLite's answer once its busy timeout ran out. */
const busy = (err: unknown) => /database is locked|SQLITE_BUSY/i.test(String((err as Error)?.message ?? err));

/**
 * Exit 4, as anything in use: another process kept the write lock past the busy timeout,
 * which a live strata never does (a stopped or stuck one can). A script may retry.
 */
const heldElsewhere = () =>
  new StrataError("locked", `the metadata database is locked: another process has held it for over ${BUSY_MS / 1000} s (stopped or stuck?)`);

/** What the caller is told about a failed statement: no space, locked, or SQLite's own error. */
const told = (err: unknown, file: string, doing: string) => (full(err, file) ? noRoom(doing) : busy(err) ? heldElsewhere() : err);


/** Opens a SQLite file; each runtime supplies one (`runtime/*\/sqlite.ts`). */
export type OpenSqlite = (file: string) => SqliteDatabase;

export async function openStore(file: string, open: OpenSqlite, clock: Clock): Promise<MetadataStore> {
  let database: SqliteDatabase;
  let s: Statements;
  // "locked" is believed after the busy timeout's worth of tries in all: each try may wait
  // that long itself (a database another process holds exclusively), so it is a deadline.
  const deadline = Date.now() + BUSY_MS;
  for (let attempt = 1; ; attempt++) {
    let opened: SqliteDatabase | undefined;
    try {
      opened = open(file);
      s = new Statements(opened);
      s.all(`PRAGMA busy_timeout = ${BUSY_MS}`);
      s.all("PRAGMA journal_mode = WAL");
      s.all("PRAGMA synchronous = NORMAL");
      const version = s.first<{ user_version: number }>("PRAGMA user_version")?.user_version ?? 0;
      if (version !== SCHEMA_VERSION) migrate(s);
      database = opened;
      break;
    } catch (err) {
      // An open that meets another process's last close (its checkpoint, its WAL going)
      // can be told "locked" at once, without the busy timeout: it is tried again.
      try {
        opened?.close();
      } catch { /* unusable already */ }
      if (busy(err) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10 * attempt));
        continue;
      }
      throw told(err, file, "opening");
    }
  }

  let kysely: Promise<Kysely<Database>> | undefined;
  const db = () =>
    (kysely ??= import("kysely").then(({ Kysely, SqliteDialect }) => new Kysely<Database>({ dialect: new SqliteDialect({ database }) })));

  // One connection: transactions from concurrent async calls in this process take turns.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };

  /**
   * One transaction; the caller has its turn on the connection (`serial`). Kysely's
   * queries inside it go to the same connection: its driver has this one, and nothing
   * else runs on it meanwhile.
   */
  const inTurn = async <T>(begin: string, fn: (tx: Tx) => Promise<T>) => {
    try {
      s.run(begin);
    } catch (err) {
      throw told(err, file, "writing");
    }
    try {
      const result = await fn(makeTx(s, clock));
      s.run("COMMIT");
      return result;
    } catch (err) {
      try {
        s.run("ROLLBACK");
      } catch { /* the failure ended the transaction already */ }
      throw told(err, file, "writing");
    }
  };
  const transaction = <T>(begin: string, fn: (tx: Tx) => Promise<T>) => serial(() => inTurn(begin, fn));

  const busyTimeout = (ms: number) => s.all(`PRAGMA busy_timeout = ${ms}`);
  // data_version moves when another connection commits; our own commits count here.
  let ownWrites = 0;
  // The status page's tables (status.ts): this connection, in turn with the transactions.
  const status = statusStore(s, db, serial, (fn) => transaction("BEGIN IMMEDIATE", () => fn()));

  return {
    read: (fn) => transaction("BEGIN", fn),
    query: (fn) => serial(() => fn(makeTx(s, clock))),
    write: (fn) => transaction("BEGIN IMMEDIATE", fn).finally(() => ownWrites++),
    async version() {
      const row = await serial(async () => s.first<{ data_version: number }>("PRAGMA data_version"));
      return `${row!.data_version}.${ownWrites}`;
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
          // The lock was held: told() has said so already (locked).
          if (err instanceof StrataError && err.code === "locked") return undefined;
          throw err;
        } finally {
          await busyTimeout(BUSY_MS);
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
    // Kysely's driver holds nothing but this connection.
    close: () => serial(async () => database.close()),
  };
}

