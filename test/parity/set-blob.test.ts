/**
 * Replays BuildKit's TestSetBlob: the chain fields (diffID, chainID, blobChainID) of
 * records that got their blob on a commit, and of lazy layers imported on them; the same
 * blob chain finds the same record; another blob of the same tar shares the snapshot but
 * not the blob chain; a blob that exists nowhere is refused.
 *
 * strata differs: BuildKit attaches caller-supplied blobs with setBlob; strata computes a
 * committed record's blob by `export` (SPEC §3.8). BuildKit's snap5 lies about its diffID
 * in the descriptor; strata computes diffIDs from the bytes and cannot be lied to, so the
 * replay recompresses the same tar instead.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import {
  bcid, bid, blobFile, blobs, byId, cid, cleanup, diskUsage, type Fresh, du, fails, fileDigest, fresh, layer, ok, snapshotDirs,
} from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

const GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

test("TestSetBlob: chain fields of committed and imported records, dedupe by blob chain, and a missing blob refused", () => {
  const { root, dir } = t;
  const m = ok(root, "new");
  writeFileSync(`${m.path}/foo`, "bar");
  const i = ok(root, "commit", m.id, "--hold", "1h");
  expect(i).toMatchObject({ blob: null, lazy: false });
  expect(i.chainID ?? null).toBeNull();
  expect(i.blobChainID ?? null).toBeNull();

  const [l1] = ok(root, "export", i.id, "--compression", "gzip").layers;
  const iInfo = ok(root, "info", i.id);
  expect(iInfo).toMatchObject({
    blob: { digest: l1.digest, diffID: l1.diffID, mediaType: GZIP },
    chainID: l1.diffID,
    blobChainID: bid(l1.digest, l1.diffID),
    lazy: false,
  });
  expect(fileDigest(blobFile(root, l1.digest))).toBe(l1.digest);

  const m2 = ok(root, "new", "--parent", i.id);
  writeFileSync(`${m2.path}/foo2`, "bar2");
  const i2 = ok(root, "commit", m2.id, "--hold", "1h");
  const out2 = ok(root, "export", i2.id, "--compression", "gzip").layers;
  expect(out2).toHaveLength(2);
  expect(out2[0]).toEqual(l1);
  const l2 = out2[1];
  const i2Info = ok(root, "info", i2.id);
  expect(i2Info).toMatchObject({
    blob: { digest: l2.digest, diffID: l2.diffID },
    chainID: cid(l1.diffID, l2.diffID),
    blobChainID: bcid(iInfo.blobChainID, l2.digest, l2.diffID),
  });

  // A lazy layer on the committed parent.
  const b3 = layer(dir, "b3", { foo3: "bar3" });
  const s3 = ok(root, "import", b3.gz, "--parent", i.id, "--lazy");
  expect(s3).toMatchObject({
    lazy: true,
    chainID: cid(l1.diffID, b3.diffID),
    blobChainID: bcid(iInfo.blobChainID, b3.gzDigest, b3.diffID),
  });

  // The same blob chain is the record new+commit+export made.
  expect(ok(root, "import", blobFile(root, l2.digest), "--parent", i.id).id).toBe(i2.id);

  // The same tar, compressed otherwise: a new record on the same chainID and snapshot.
  const [, raw2] = ok(root, "export", i2.id, "--compression", "uncompressed").layers;
  expect(raw2.digest).toBe(l2.diffID);
  execFileSync("sh", ["-c", `zstd -q -c "$1" > "$2"`, "sh", blobFile(root, raw2.digest), `${dir}/t2.zst`]);
  const zstDigest = fileDigest(`${dir}/t2.zst`);
  const s5 = ok(root, "import", `${dir}/t2.zst`, "--parent", i.id);
  expect(s5.id).not.toBe(i2.id);
  expect(s5).toMatchObject({
    chainID: i2Info.chainID,
    blob: { digest: zstDigest, diffID: l2.diffID, mediaType: "application/vnd.oci.image.layer.v1.tar+zstd" },
    blobChainID: bcid(iInfo.blobChainID, zstDigest, l2.diffID),
  });
  expect(s5.blobChainID).not.toBe(i2Info.blobChainID);
  const dirs = snapshotDirs(root);
  const shared = ok(root, "path", s5.id).path;
  expect(shared).toBe(ok(root, "path", i2.id).path);
  expect(snapshotDirs(root)).toBe(dirs);

  // A lazy layer on a lazy layer: chain fields from the lazy parent, both stay lazy.
  const b6 = layer(dir, "b6", { foo6: "bar6" });
  const s6 = ok(root, "import", b6.gz, "--parent", s3.id, "--lazy");
  expect(s6).toMatchObject({
    lazy: true,
    chainID: cid(s3.chainID, b6.diffID),
    blobChainID: bcid(s3.blobChainID, b6.gzDigest, b6.diffID),
  });
  expect(ok(root, "info", s3.id).lazy).toBe(true);

  // A layer on S3's chain whose blob exists nowhere: the layout of that chain, made in
  // another root, without its top blob.
  const other = `${dir}/other`;
  const x1 = ok(other, "import", blobFile(root, l1.digest));
  const x3 = ok(other, "import", b3.gz, "--parent", x1.id);
  const b7 = layer(dir, "b7", { foo7: "bar7" });
  const x7 = ok(other, "import", b7.gz, "--parent", x3.id);
  expect(x3.chainID).toBe(s3.chainID);
  ok(other, "export", x7.id, "--compression", "gzip", "--output", `${dir}/oci`, "--tag", "t");
  rmSync(`${dir}/oci/blobs/sha256/${b7.gzDigest.slice(7)}`);
  const before = du(root).records.length;
  const beforeBlobs = blobs(root);
  fails(root, 6, "import", `oci:${dir}/oci:t`, "--lazy");
  fails(root, 6, "import", `oci:${dir}/oci:t`);
  expect(du(root).records).toHaveLength(before);
  expect(blobs(root)).toEqual(beforeBlobs);
  expect(readdirSync(`${root}/content/ingest`)).toEqual([]);
  expect(byId(root).get(s3.id)!.lazy).toBe(true);

  // SPEC §8: du counts the snapshot I2 and S5 share once.
  const listed = byId(root);
  expect(listed.get(i2.id)!.size + listed.get(s5.id)!.size).toBe(diskUsage(shared));
});
