/**
 * CI cache keys (like `actions/cache`): a name points at a committed record. `get`
 * falls back, prefix by prefix, to the newest key that starts with it; a miss is
 * `key_not_found` (exit 7).
 */
import { keyNotFound } from "./errors.ts";
import type { Deps } from "./refs.ts";
import { finalize, freeze, getImmutable } from "./refs.ts";
import { countLookup } from "./status.ts";

export interface KeyHit {
  key: string;
  id: string;
  exact: boolean;
}

export async function setKey(d: Deps, name: string, ref: string): Promise<KeyHit> {
  const r = await d.store.write(async (tx) => {
    const r = await finalize(tx, await getImmutable(tx, ref, d.clock.now()));
    await tx.keys.set(name, r.id);
    return r;
  });
  await freeze(d, [r]);
  return { key: name, id: r.id, exact: true };
}

export async function getKey(d: Deps, name: string, restorePrefixes: string[] = []): Promise<KeyHit> {
  const hit = await d.store.read(async (tx): Promise<KeyHit | undefined> => {
    const exact = await tx.keys.get(name);
    if (exact) return { key: name, id: exact, exact: true };
    if (!restorePrefixes.length) return undefined;
    const keys = (await tx.keys.list()).sort((a, b) => b.updatedAt - a.updatedAt);
    for (const prefix of restorePrefixes) {
      const hit = keys.find((k) => k.name.startsWith(prefix));
      if (hit) return { key: hit.name, id: hit.record, exact: false };
    }
    return undefined;
  });
  // The status page's CI hit rate (core/status.ts), counted wherever `key get` runs.
  const outcome = !hit ? "miss" : hit.exact ? "exact" : "prefix";
  await countLookup(d.store, { at: d.clock.now(), name, outcome, matched: hit?.key ?? null });
  if (!hit) throw keyNotFound(name);
  return hit;
}

export async function listKeys(d: Deps) {
  const rows = await d.store.read((tx) => tx.keys.list());
  return rows.map((k) => ({ key: k.name, id: k.record, updatedAt: new Date(k.updatedAt).toISOString() }));
}

export async function removeKey(d: Deps, name: string) {
  const deleted = await d.store.write((tx) => tx.keys.delete(name));
  if (!deleted) throw keyNotFound(name);
  return { key: name, deleted: true };
}
