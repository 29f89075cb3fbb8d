/**
 * Replays what strata can of BuildKit's TestNondistributableBlobs: BuildKit keeps a
 * non-distributable layer's media type and URLs when asked to, and otherwise hands the
 * layer out as a plain OCI tar.
 *
 * strata differs: it knows only the OCI and Docker tar, tar+gzip and tar+zstd layer types
 * and keeps no URLs (SPEC §2; the OCI spec deprecates non-distributable layers), so a
 * non-distributable media type is refused as a usage error with nothing kept, and the same
 * tar imported plainly exports as a plain OCI tar: BuildKit's default half.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { blobs, cleanup, du, fails, type Fresh, fresh, layer, ok } from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

test("TestNondistributableBlobs: a non-distributable media type is refused with nothing kept; the tar itself exports as a plain OCI layer", () => {
  const { root, dir } = t;
  const l = layer(dir, "nd", { foo: "bar" });
  for (const media of [
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  ]) {
    fails(root, 2, "import", l.tar, "--media-type", media);
    expect(du(root).records).toEqual([]);
    expect(blobs(root)).toEqual([]);
  }
  const r = ok(root, "import", l.tar, "--lazy");
  const [out] = ok(root, "export", r.id, "--compression", "uncompressed").layers;
  expect(out).toEqual({ digest: l.diffID, diffID: l.diffID, mediaType: "application/vnd.oci.image.layer.v1.tar", size: statSync(l.tar).size });
});
