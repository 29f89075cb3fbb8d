/** The SQLite metadata store (Kysely on bun:sqlite) passes the metadata suite. */
import { test } from "bun:test";
import { openSqlite } from "../../src/runtime/bun/sqlite.ts";
import { openStore } from "../../src/store/store.ts";
import { metadataSuite } from "./metadata.ts";

metadataSuite(test, "sqlite (bun)", (file, clock) => openStore(file, openSqlite, clock));
