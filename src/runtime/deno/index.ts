import type { Runtime } from "../runtime.ts";
import { openSqlite } from "./sqlite.ts";
import { fetchVia, listen, sendFile } from "./serve.ts";
import { sys } from "./sys.ts";
import { locks } from "./lock.ts";

declare const Deno: { version: { deno: string } };

const registryFetch = async (caFile?: string) => (await import("./fetch.ts")).fetchTrusting(caFile);

export const runtime: Runtime = { name: "deno", version: Deno.version.deno, openSqlite, sys, locks, listen, sendFile, fetchVia, registryFetch };
