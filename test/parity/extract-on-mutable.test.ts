/**
 * Replays BuildKit's TestExtractOnMutable: a layer cannot be imported on a committed record
 * that has no layer chain yet; once the parent has its blob, a lazy layer goes on it, is
 * extracted on use, and prune removes both records and both blobs.
 *
 * strata differs: BuildKit attaches a blob with setBlob (any blob, trusted); strata has no
 * such call, and `export` computes the parent's real layer instead (SPEC §3.8).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import {
  bid, blobs, byId, cid, cleanup, type Fresh, du, duCounts, fails, fresh, hold, layer, ok, prune, snapshotDirs, unhold,
} from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

test("TestExtractOnMutable: a layer goes on a committed record once it has a blob, extracts on use, and prune removes both with their blobs", () => {
  const { root, dir } = t;
  const b2 = layer(dir, "b2", { foo2: "1" });
  const m = ok(root, "new");
  writeFileSync(`${m.path}/base`, "base");
  const i = ok(root, "commit", m.id, "--hold", "1h");
  expect(i).toMatchObject({ blob: null, lazy: false });
  expect(i.chainID ?? null).toBeNull();

  // No layer chain under the parent: refused, nothing made (a base layer would mislabel it).
  fails(root, 5, "import", b2.gz, "--parent", i.id, "--lazy");
  expect(du(root).records).toHaveLength(1);
  expect(blobs(root)).toEqual([]);

  const exported = ok(root, "export", i.id, "--compression", "gzip");
  expect(exported.layers).toHaveLength(1);
  const own = exported.layers[0];
  const parent = ok(root, "info", i.id);
  expect(parent).toMatchObject({
    blob: { digest: own.digest, diffID: own.diffID, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" },
    chainID: own.diffID,
    blobChainID: bid(own.digest, own.diffID),
  });

  const s2 = ok(root, "import", b2.gz, "--parent", i.id, "--lazy");
  expect(s2).toMatchObject({ lazy: true, kind: "layer", parents: [i.id], chainID: cid(own.diffID, b2.diffID) });
  const l = hold(root, s2.id);
  ok(root, "release", i.id);
  expect(snapshotDirs(root)).toBe(1);
  expect(blobs(root)).toHaveLength(2);

  const p = ok(root, "path", s2.id).path;
  expect(readFileSync(`${p}/foo2`, "utf8")).toBe("1");
  expect(readFileSync(`${p}/base`, "utf8")).toBe("base");
  const listed = byId(root);
  expect([listed.get(s2.id)!.lazy, listed.get(i.id)!.lazy]).toEqual([false, false]);

  expect(prune(root).records).toEqual([]);
  expect(duCounts(root)).toEqual([2, 0]);
  expect(snapshotDirs(root)).toBe(2);
  unhold(root, l);
  expect(duCounts(root)).toEqual([0, 2]);

  expect(prune(root).records.map((r) => r.id)).toEqual([s2.id, i.id]);
  expect(du(root).records).toEqual([]);
  expect(snapshotDirs(root)).toBe(0);
  // SPEC §8: the blobs of the records prune removed go with them.
  expect(blobs(root)).toEqual([]);
});
