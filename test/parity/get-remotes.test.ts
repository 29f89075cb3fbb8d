/**
 * Replays BuildKit's TestGetRemotes: a binary tree of records three levels deep on an
 * extracted lazy base, and a second lazy base; every leaf and the lazy base exported in
 * every compression at once. Each layer is one tar whatever the compression and whoever
 * asked first, shared ancestors give the same blobs to every leaf, and the content store
 * ends with exactly one blob per layer and compression.
 *
 * strata differs: no estargz and no "all variants" enumeration; the bases' blobs are local
 * (BuildKit's remote provider left one blob in its store, strata's import keeps both); and
 * a lazy record whose blob is converted stays lazy, since strata's "lazy" means "not
 * extracted" (SPEC §1), where BuildKit's means "blob not in the local store".
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { utimesSync, writeFileSync } from "node:fs";
import { blobFile, blobs, byId, cleanup, decompressedDigest, type Fresh, fresh, layer, ok, okAsync } from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

const MEDIA: Record<string, string> = {
  gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  uncompressed: "application/vnd.oci.image.layer.v1.tar",
};
interface Desc {
  digest: string;
  diffID: string;
  mediaType: string;
  size: number;
}

test("TestGetRemotes: leaves of a record tree and a lazy base, exported in every compression at once, share one tar per layer", async () => {
  const { root, dir } = t;
  const f0 = layer(dir, "f0", { foo: "0" });
  const f1 = layer(dir, "f1", { foo: "1" });
  const b0 = ok(root, "import", f0.gz, "--lazy");
  const b1 = ok(root, "import", f1.gz, "--lazy");

  // Three levels of two children each: one empty file named after the node, times at 0.
  let level = [{ id: b0.id as string, name: "" }];
  const chains = new Map<string, string[]>([[b0.id, [b0.id]]]);
  for (let depth = 0; depth < 3; depth++) {
    const next: typeof level = [];
    for (const p of level) {
      for (const k of [0, 1]) {
        const name = p.name ? `${p.name}-${k}` : `${k}`;
        const m = ok(root, "new", "--parent", p.id);
        writeFileSync(`${m.path}/${name}`, "");
        utimesSync(`${m.path}/${name}`, 0, 0);
        const c = ok(root, "commit", m.id);
        chains.set(c.id, [...chains.get(p.id)!, c.id]);
        next.push({ id: c.id, name });
      }
    }
    level = next;
  }
  expect(chains.size).toBe(15);
  expect(ok(root, "info", b0.id).lazy).toBe(false);
  expect(blobs(root)).toHaveLength(2);

  const leaves = level.map((l) => l.id);
  const refs = [...leaves, b1.id];
  const jobs = refs.flatMap((ref) => ["gzip", "zstd", "uncompressed"].map((c) => ({ ref, c })));
  const outs = await Promise.all(jobs.map(({ ref, c }) => okAsync(root, "export", ref, "--compression", c)));

  // One descriptor per layer, by record and compression; the same from every leaf.
  const seen = new Map<string, Desc>();
  const diffIDs = new Map<string, string>();
  jobs.forEach(({ ref, c }, k) => {
    const layers: Desc[] = outs[k].layers;
    const chain = ref === b1.id ? [b1.id] : chains.get(ref)!;
    expect(layers).toHaveLength(chain.length);
    layers.forEach((l, n) => {
      const record = chain[n]!;
      expect(l.mediaType).toBe(MEDIA[c]);
      if (c === "uncompressed") expect(l.digest).toBe(l.diffID);
      const key = `${record} ${c}`;
      if (seen.has(key)) expect(l).toEqual(seen.get(key)!);
      else seen.set(key, l);
      if (diffIDs.has(record)) expect(l.diffID).toBe(diffIDs.get(record)!);
      else diffIDs.set(record, l.diffID);
    });
  });
  expect(seen.size).toBe(16 * 3);
  // The bases' own blobs, not new gzip blobs.
  expect(seen.get(`${b0.id} gzip`)!.digest).toBe(f0.gzDigest);
  expect(seen.get(`${b1.id} gzip`)!.digest).toBe(f1.gzDigest);
  expect(diffIDs.get(b0.id)).toBe(f0.diffID);
  // Converting the lazy base's blob extracted nothing.
  expect(byId(root).get(b1.id)!.lazy).toBe(true);

  // Exactly one blob per layer and compression, each the layer's tar.
  const expected = [...new Set([...seen.values()].map((l) => l.digest.slice(7)))].sort();
  expect(expected).toHaveLength(48);
  expect(blobs(root)).toEqual(expected);
  for (const l of seen.values()) expect(decompressedDigest(blobFile(root, l.digest))).toBe(l.diffID);

  // Asked again, the same answers and no new blobs.
  const again = await Promise.all([leaves[0]!, b1.id].map((ref) => okAsync(root, "export", ref, "--compression", "zstd")));
  expect(again[0]).toEqual(outs[jobs.findIndex((j) => j.ref === leaves[0] && j.c === "zstd")]);
  expect(again[1]).toEqual(outs[jobs.findIndex((j) => j.ref === b1.id && j.c === "zstd")]);
  expect(blobs(root)).toEqual(expected);
});
