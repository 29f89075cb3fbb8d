/**
 * Replays BuildKit's TestLoopLeaseContent: one layer converted from compression to
 * compression (tar → gzip → zstd → tar), each conversion imported as a record of its own,
 * so the variants form a loop; the loop finds the original bytes again, and one prune
 * removes every record and every blob.
 *
 * strata differs: no estargz and no manual blob linking, so the loop is closed by exporting
 * the last record uncompressed, which must give the original tar back (SPEC §3.8, linked
 * variants). BuildKit retries prune (ensurePrune) for its asynchronous releases; strata
 * must finish in one call. The layer's blobs are local, not remote.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  blobFile, blobs, byId, cleanup, decompressedDigest, type Fresh, du, fresh, layer, ok, prune, snapshotDirs,
} from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

const exported = (root: string, ref: string, compression: string) => {
  const layers = ok(root, "export", ref, "--compression", compression).layers;
  expect(layers).toHaveLength(1);
  return layers[0] as { digest: string; diffID: string; mediaType: string };
};

test("TestLoopLeaseContent: a loop of compression variants leads back to the original blob, and one prune removes all of it", () => {
  const { root, dir } = t;
  const f = layer(dir, "f", { foo: "1" });
  const r0 = ok(root, "import", f.tar, "--lazy");
  expect(exported(root, r0.id, "uncompressed").digest).toBe(f.diffID);

  const g = exported(root, r0.id, "gzip");
  expect(g).toMatchObject({ diffID: f.diffID, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" });
  const r1 = ok(root, "import", blobFile(root, g.digest), "--lazy");
  expect(r1.id).not.toBe(r0.id);
  expect(r1.chainID).toBe(r0.chainID);

  const z = exported(root, r1.id, "zstd");
  expect(z).toMatchObject({ diffID: f.diffID, mediaType: "application/vnd.oci.image.layer.v1.tar+zstd" });
  const r2 = ok(root, "import", blobFile(root, z.digest), "--lazy");
  expect(new Set([r0.id, r1.id, r2.id]).size).toBe(3);
  expect(r2.chainID).toBe(r0.chainID);

  // Around the loop: the original tar and the first gzip blob, not new ones.
  expect(exported(root, r2.id, "uncompressed").digest).toBe(f.diffID);
  expect(exported(root, r2.id, "gzip").digest).toBe(g.digest);
  expect(ok(root, "import", f.tar, "--lazy").id).toBe(r0.id);
  expect(blobs(root)).toEqual([f.diffID, g.digest, z.digest].map((d) => d.slice(7)).sort());
  for (const d of [f.diffID, g.digest, z.digest]) expect(decompressedDigest(blobFile(root, d))).toBe(f.diffID);
  // Converting blobs extracted nothing.
  const listed = byId(root);
  expect([r0, r1, r2].map((r) => listed.get(r.id)!.lazy)).toEqual([true, true, true]);
  expect(snapshotDirs(root)).toBe(0);

  // One prune, no retries: three records, and (SPEC §8) their three blobs.
  expect(prune(root, "--all").records.map((r) => r.id).sort()).toEqual([r0.id, r1.id, r2.id].sort());
  expect(du(root).records).toEqual([]);
  expect(blobs(root)).toEqual([]);
  expect(ok(root, "gc")).toMatchObject({ blobs: 0, dirs: 0 });
  expect(ok(root, "check").problems).toEqual([]);
});
