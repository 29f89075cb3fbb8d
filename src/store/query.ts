/** Helpers every store file shares: id lists in chunks, and what "live" means for a hold. */
import { sql } from "kysely";

/** SQLite caps bound parameters per statement; larger id lists go in chunks. */
const chunk = 5000;

export async function chunked<T>(ids: string[], fn: (part: string[]) => Promise<T[]>): Promise<T[]> {
  if (ids.length <= chunk) return ids.length ? fn(ids) : [];
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += chunk) out.push(...(await fn(ids.slice(i, i + chunk))));
  return out;
}

/** The same for statements that return nothing. */
export async function eachChunk(ids: string[], fn: (part: string[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < ids.length; i += chunk) await fn(ids.slice(i, i + chunk));
}

/** A hold that has not expired at `now` (its owner's life is checked elsewhere). */
export const live = (now: number) => sql<boolean>`(holds.expiresAt IS NULL OR holds.expiresAt > ${now})`;
