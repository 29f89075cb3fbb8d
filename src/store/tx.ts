/** The metadata port's transaction on Kysely. Every query is set-based. */
import { CompiledQuery, type Kysely, sql } from "kysely";
import type { Clock, Tx } from "../core/ports.ts";
import type { RecordRow } from "../core/record.ts";
import type { Database } from "./schema.ts";

/** SQLite caps bound parameters per statement; larger id lists go in chunks. */
const chunk = 5000;
async function chunked<T>(ids: string[], fn: (part: string[]) => Promise<T[]>): Promise<T[]> {
  if (ids.length <= chunk) return ids.length ? fn(ids) : [];
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += chunk) out.push(...(await fn(ids.slice(i, i + chunk))));
  return out;
}

/**
 * One record with its ordered parents and whether it is in use. In use means held
 * anywhere below it: itself, its twin, its descendants (and their twins), as `inUse`
 * computes upward from the holds.
 */
const viewSql = `
  WITH RECURSIVE down(id) AS (
    SELECT ?
    UNION SELECT p.child FROM parents p JOIN down d ON p.parent = d.id
    UNION SELECT r.id FROM records r JOIN down d ON r.twin = d.id
    UNION SELECT r.twin FROM records r JOIN down d ON r.id = d.id WHERE r.twin IS NOT NULL
  )
  SELECT r.*,
    (SELECT json_group_array(parent) FROM (SELECT parent FROM parents WHERE child = r.id ORDER BY position)) AS parentIds,
    h.n > 0 AS inUse, h.until AS heldUntil
  FROM records r,
    (SELECT count(*) AS n, min(expiresAt) AS until FROM holds
      WHERE record IN (SELECT id FROM down) AND (expiresAt IS NULL OR expiresAt > ?)) h
  WHERE r.id = ? AND r.state = 'ready'`;

export function makeTx(db: Kysely<Database>, clock: Clock): Tx {
  const now = clock.now();
  const live = sql<boolean>`(holds.expiresAt IS NULL OR holds.expiresAt > ${now})`;

  const bump = (ids: string[]) =>
    chunked(ids, async (part) => {
      await db.updateTable("records")
        .set({ usageCount: sql`usageCount + 1`, lastUsedAt: now })
        .where("id", "in", part)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom("holds").select("holds.id").whereRef("holds.record", "=", "records.id").where(live)))
        )
        .execute();
      return [];
    });

  return {
    record: (id) => db.selectFrom("records").selectAll().where("id", "=", id).executeTakeFirst(),

    records: (ids) =>
      chunked(ids, (part) =>
        db.selectFrom("records").selectAll().where("id", "in", part).where("state", "=", "ready").execute()),

    allReady: () => db.selectFrom("records").selectAll().where("state", "=", "ready").execute(),

    async insert(row, parents) {
      await db.insertInto("records").values(row).execute();
      if (parents.length) {
        await db.insertInto("parents")
          .values(parents.map((parent, position) => ({ child: row.id, position, parent })))
          .execute();
      }
    },

    async update(ids, patch) {
      await chunked(ids, async (part) => {
        await db.updateTable("records").set(patch).where("id", "in", part).execute();
        return [];
      });
    },

    async delete(ids) {
      await chunked(ids, async (part) => {
        await db.deleteFrom("holds").where("record", "in", part).execute();
        await db.deleteFrom("keys").where("record", "in", part).execute();
        await db.deleteFrom("parents").where("child", "in", part).execute();
        await db.deleteFrom("records").where("id", "in", part).execute();
        return [];
      });
    },

    // `state <> 'ready'` lets SQLite use the partial index records_state.
    byState: (state) =>
      db.selectFrom("records").selectAll().where("state", "<>", "ready").where("state", "=", state).execute(),

    async parents(ids) {
      const rows = await chunked(ids, (part) =>
        db.selectFrom("parents").selectAll().where("child", "in", part).orderBy("child").orderBy("position").execute());
      const out = new Map<string, string[]>(ids.map((id) => [id, []]));
      for (const r of rows) out.get(r.child)?.push(r.parent);
      return out;
    },

    async children(ids) {
      const rows = await chunked(ids, (part) =>
        db.selectFrom("parents").select(["parent", "child"]).where("parent", "in", part).execute());
      const out = new Map<string, string[]>();
      for (const r of rows) out.set(r.parent, [...(out.get(r.parent) ?? []), r.child]);
      return out;
    },

    twinOf: (mutableId) =>
      db.selectFrom("records").selectAll().where("twin", "=", mutableId).where("state", "=", "ready").executeTakeFirst(),

    async stillUsed(snapshots, ids) {
      if (!snapshots.length) return new Set();
      const rows = await db.selectFrom("records").select("snapshot").distinct()
        .where("snapshot", "in", snapshots).where("id", "not in", ids.length ? ids : [""]).execute();
      return new Set(rows.map((r) => r.snapshot!));
    },

    async held(ids) {
      const rows = await chunked(ids, (part) =>
        db.selectFrom("holds").select("record").distinct().where("record", "in", part).where(live).execute());
      return new Set(rows.map((r) => r.record));
    },

    async inUse(ids) {
      if (ids && !ids.length) return new Set();
      // Held records, their twins, and every ancestor of either.
      const { rows } = await sql<{ id: string }>`
        WITH RECURSIVE used(id) AS (
          SELECT record FROM holds WHERE ${live}
          UNION SELECT r.id FROM records r JOIN used u ON r.twin = u.id
          UNION SELECT r.twin FROM records r JOIN used u ON r.id = u.id WHERE r.twin IS NOT NULL
          UNION SELECT p.parent FROM parents p JOIN used u ON p.child = u.id
        )
        SELECT id FROM used`.execute(db);
      const all = new Set(rows.map((r) => r.id));
      if (!ids) return all;
      return new Set(ids.filter((id) => all.has(id)));
    },

    async addHold(record, owner, expiresAt) {
      await db.insertInto("holds").values({ id: null, record, owner, expiresAt, createdAt: now }).execute();
    },

    async endHolds(filter) {
      let q = db.selectFrom("holds").select(["id", "record"]);
      if (filter.records) q = q.where("record", "in", filter.records.length ? filter.records : [""]);
      if (filter.owner === null) q = q.where("owner", "is", null);
      else if (filter.owner !== undefined) q = q.where("owner", "=", filter.owner);
      if (filter.owners) q = q.where("owner", "in", filter.owners.length ? filter.owners : [""]);
      if (filter.expired) q = q.where("expiresAt", "<=", now);
      if (filter.handedOut) {
        q = q.where("expiresAt", "is not", null)
          .where((eb) => eb.or([eb("owner", "is", null), eb("owner", "not like", "lease:%")]));
      }
      const rows = await q.execute();
      if (!rows.length) return;
      await chunked(rows.map((r) => String(r.id)), async (part) => {
        await db.deleteFrom("holds").where("id", "in", part.map(Number)).execute();
        return [];
      });
      await bump([...new Set(rows.map((r) => r.record))]);
    },

    async owners() {
      const { rows } = await sql<{ owner: string }>`
        SELECT owner FROM holds WHERE owner IS NOT NULL
        UNION SELECT owner FROM records WHERE owner IS NOT NULL`.execute(db);
      return rows.map((r) => r.owner);
    },

    async touch(ids) {
      await bump(ids);
    },

    async hasExpired() {
      const row = await db.selectFrom("holds").select("id").where("expiresAt", "<=", now).limit(1).executeTakeFirst();
      return row !== undefined;
    },

    async snapshots() {
      const rows = await db.selectFrom("records").select("snapshot").distinct().where("snapshot", "is not", null).execute();
      return new Set(rows.map((r) => r.snapshot!));
    },

    async unlinkParents(parents) {
      await chunked(parents, async (part) => {
        const children = await db.selectFrom("parents").select("child").where("parent", "in", part).execute();
        await db.deleteFrom("parents").where("parent", "in", part).execute();
        const ids = children.map((c) => c.child);
        if (ids.length) {
          await db.updateTable("records").set({ kind: "base" }).where("id", "in", ids)
            .where(({ not, exists, selectFrom }) =>
              not(exists(selectFrom("parents").select("child").whereRef("parents.child", "=", "records.id"))))
            .execute();
        }
        return [];
      });
    },

    async setKey(name, record) {
      await db.insertInto("keys").values({ name, record, updatedAt: now })
        .onConflict((oc) => oc.column("name").doUpdateSet({ record, updatedAt: now })).execute();
    },

    keys: () => db.selectFrom("keys").selectAll().orderBy("name").execute(),

    async deleteKey(name) {
      const r = await db.deleteFrom("keys").where("name", "=", name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    lease: (id) => db.selectFrom("leases").selectAll().where("id", "=", id).executeTakeFirst(),
    leases: () => db.selectFrom("leases").selectAll().orderBy("createdAt").execute(),

    async createLease(id, expiresAt) {
      await db.insertInto("leases").values({ id, expiresAt, createdAt: now }).execute();
    },

    async deleteLeases(ids) {
      if (!ids.length) return;
      await db.deleteFrom("leaseBlobs").where("lease", "in", ids).execute();
      await db.deleteFrom("leases").where("id", "in", ids).execute();
    },

    async addLeaseBlob(lease, digest) {
      await db.insertInto("leaseBlobs").values({ lease, digest }).onConflict((oc) => oc.doNothing()).execute();
    },
    async leaseBlobs(lease) {
      return (await db.selectFrom("leaseBlobs").select("digest").where("lease", "=", lease).execute()).map((r) => r.digest);
    },

    async leaseRecords(ids) {
      const owners = ids.map((id) => `lease:${id}`);
      const rows = owners.length
        ? await db.selectFrom("holds").select(["owner", "record"]).distinct().where("owner", "in", owners).execute()
        : [];
      const out = new Map<string, string[]>(ids.map((id) => [id, []]));
      for (const r of rows) out.get(r.owner!.slice(6))?.push(r.record);
      return out;
    },

    async view(id) {
      // The hot path of `info` and GET /v1/records/{id}: a fixed statement, no builder.
      const { rows } = await db.executeQuery<RecordRow & { parentIds: string; inUse: number; heldUntil: number | null }>(
        CompiledQuery.raw(viewSql, [id, now, id]),
      );
      const r = rows[0];
      if (!r) return undefined;
      const { parentIds, inUse, heldUntil, ...row } = r;
      return { row: row as RecordRow, parents: JSON.parse(parentIds), inUse: inUse === 1, heldUntil };
    },

    blob: (digest) => db.selectFrom("blobs").selectAll().where("digest", "=", digest).executeTakeFirst(),
    async hasBlobOfSize(size) {
      return (await db.selectFrom("blobs").select("digest").where("size", "=", size).limit(1).executeTakeFirst()) !== undefined;
    },
    blobsByDiffID: (diffID) => db.selectFrom("blobs").selectAll().where("diffID", "=", diffID).execute(),
    async putBlob(b) {
      await db.insertInto("blobs").values({ ...b, createdAt: now }).onConflict((oc) => oc.column("digest").doNothing()).execute();
    },
    async deleteBlobs(digests) {
      await chunked(digests, async (part) => {
        await db.deleteFrom("blobs").where("digest", "in", part).execute();
        await db.deleteFrom("leaseBlobs").where("digest", "in", part).execute();
        return [];
      });
    },
    allBlobs: () => db.selectFrom("blobs").selectAll().execute(),
    async referencedBlobs() {
      const { rows } = await sql<{ digest: string }>`
        SELECT blobDigest AS digest FROM records WHERE blobDigest IS NOT NULL
        UNION SELECT b.digest FROM blobs b JOIN records r ON r.blobDiffID = b.diffID
        UNION SELECT digest FROM leaseBlobs`.execute(db);
      return new Set(rows.map((r) => r.digest));
    },
    byBlobChain: (id) =>
      db.selectFrom("records").selectAll().where("blobChainID", "=", id).where("state", "=", "ready").where("mutable", "=", 0).executeTakeFirst(),
    byChainWithSnapshot: (id) =>
      db.selectFrom("records").selectAll().where("chainID", "=", id).where("state", "=", "ready")
        .where("snapshot", "is not", null).where("mutable", "=", 0).executeTakeFirst(),

    owned: (owners) =>
      owners.length
        ? db.selectFrom("records").selectAll().where("owner", "in", owners).where("state", "=", "ready").execute()
        : Promise.resolve([]),

    async stats() {
      const rows = await db.selectFrom("records")
        .select(({ fn }) => ["mutable", fn.countAll<number>().as("count"), fn.sum<number>(fn.coalesce("size", sql.lit(0))).as("bytes")])
        .where("state", "=", "ready").groupBy("mutable").execute();
      return rows.map((r) => ({ mutable: r.mutable === 1, count: Number(r.count), bytes: Number(r.bytes) }));
    },

    // Unordered: ordering 100k links by the index costs a lookup per row; callers sort.
    allParents: () => db.selectFrom("parents").selectAll().execute(),

    async deleteParentLinks(children) {
      await chunked(children, async (part) => {
        await db.deleteFrom("parents").where("child", "in", part).execute();
        return [];
      });
    },

    async key(name) {
      const row = await db.selectFrom("keys").select("record").where("name", "=", name).executeTakeFirst();
      return row?.record;
    },

    async getMeta(name) {
      const row = await db.selectFrom("meta").select("value").where("name", "=", name).executeTakeFirst();
      return row?.value;
    },

    async setMeta(name, value) {
      await db.insertInto("meta").values({ name, value })
        .onConflict((oc) => oc.column("name").doUpdateSet({ value })).execute();
    },
  };
}

