/**
 * Replays BuildKit's TestLazyGetByBlob (the regression test for moby/buildkit#2226): two
 * lazy imports of one layer, gzip and uncompressed, share a chainID; the second must not
 * trip over the first (lazy) record found by that chainID.
 *
 * strata differs: BuildKit's blobs have no provider (remote, absent); here both are local
 * blobs in the content store, since the remote form needs a registry (SPEC §6, not replayed).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { blobs, bid, cleanup, diskUsage, type Fresh, du, fresh, layer, ok, snapshotDirs } from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

test("TestLazyGetByBlob: a gzip and an uncompressed lazy import of one layer are two records on one chainID", () => {
  const { root, dir } = t;
  const a = layer(dir, "a", { foo: "bar" });
  expect(a.gzDigest).not.toBe(a.diffID);

  const r1 = ok(root, "import", a.gz, "--lazy");
  expect(r1).toMatchObject({
    lazy: true,
    kind: "base",
    blob: { digest: a.gzDigest, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", diffID: a.diffID },
    chainID: a.diffID,
    blobChainID: bid(a.gzDigest, a.diffID),
  });
  const r2 = ok(root, "import", a.tar, "--lazy");
  expect(r2.id).not.toBe(r1.id);
  expect(r2).toMatchObject({
    lazy: true,
    blob: { digest: a.diffID, mediaType: "application/vnd.oci.image.layer.v1.tar", diffID: a.diffID },
    chainID: r1.chainID,
    blobChainID: bid(a.diffID, a.diffID),
  });
  expect(r2.blobChainID).not.toBe(r1.blobChainID);
  expect(snapshotDirs(root)).toBe(0);
  expect(blobs(root)).toEqual([a.gzDigest.slice(7), a.diffID.slice(7)].sort());

  // Materialized, the two share one snapshot (SPEC §3.6), in the same place.
  const p2 = ok(root, "path", r2.id).path;
  const p1 = ok(root, "path", r1.id).path;
  expect(p1).toBe(p2);
  expect(snapshotDirs(root)).toBe(1);
  expect(ok(root, "info", r1.id).lazy).toBe(false);
  expect(ok(root, "info", r2.id).lazy).toBe(false);
});

test("TestLazyGetByBlob: du counts the snapshot the two records share once (SPEC §8)", () => {
  const root = `${t.dir}/root-du`;
  const a = layer(t.dir, "du", { foo: "bar" });
  const r1 = ok(root, "import", a.gz, "--lazy");
  const r2 = ok(root, "import", a.tar, "--lazy");
  const usage = diskUsage(ok(root, "path", r2.id).path);
  expect(ok(root, "path", r1.id).path).toBe(ok(root, "path", r2.id).path);
  const records = du(root).records;
  expect(records.map((r) => r.id).sort()).toEqual([r1.id, r2.id].sort());
  // The sizes du lists add up to the one snapshot's usage, not twice it.
  expect(records.reduce((n, r) => n + r.size, 0)).toBe(usage);
});
