/**
 * Replays BuildKit's TestSharingCompressionVariant: record A's blob, its variants in the
 * other compressions, and a record B imported from one of those variants share every
 * variant; pruning A leaves B able to give each compression, with the very same blobs
 * (A's original one included); every variant is the same tar. Initial blobs come plain and
 * "customized" (gzip: an empty leading member with a comment; zstd: a leading skippable
 * frame), which must be read whole and kept byte for byte. A second pass runs cases at once.
 *
 * strata differs: its compressions are gzip, zstd and uncompressed (no estargz), so each
 * case has two other variants; one case per initial compression and customization, with b
 * alternating between the two others. The blobs are local, not remote.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import {
  blobFile, blobs, cleanup, decompressedDigest, du, type Fresh, fileDigest, fresh, hold, layer, ok, okAsync, prune, unhold,
} from "./helpers.ts";

let t: Fresh;
beforeAll(() => {
  t = fresh();
});
afterAll(() => cleanup(t.dir));

type Compression = "gzip" | "zstd" | "uncompressed";
const MEDIA: Record<Compression, string> = {
  gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  uncompressed: "application/vnd.oci.image.layer.v1.tar",
};
const ALL: Compression[] = ["gzip", "zstd", "uncompressed"];

/**
 * The initial blob of a case: tar{foo: content} compressed as `a`, customized or not.
 * Customized gzip: an empty member (stored, level 0) with FCOMMENT "hello" before the data
 * member. Customized zstd: a skippable frame (magic 0x184D2A50, 5 bytes "hello") first.
 */
function initialBlob(name: string, a: "gzip" | "zstd", customized: boolean, content: string) {
  const l = layer(t.dir, name, { foo: content });
  const plain = a === "gzip" ? l.gz : l.zst;
  if (!customized) return { path: plain, diffID: l.diffID };
  const out = `${t.dir}/${name}.custom.${a}`;
  const script = `
import struct, sys, zlib
plain = open(sys.argv[2], "rb").read()
if sys.argv[3] == "gzip":
    c = zlib.compressobj(0, zlib.DEFLATED, -15)
    empty = c.compress(b"") + c.flush()
    head = b"\\x1f\\x8b\\x08\\x10" + b"\\x00\\x00\\x00\\x00" + b"\\x00\\xff" + b"hello\\x00"
    prefix = head + empty + struct.pack("<II", 0, 0)
else:
    prefix = struct.pack("<II", 0x184D2A50, 5) + b"hello"
open(sys.argv[1], "wb").write(prefix + plain)
`;
  execFileSync("python3", ["-c", script, out, plain, a]);
  return { path: out, diffID: l.diffID };
}

/** Steps up to B holding every variant: returns the digests by compression, and the records. */
async function shareVariants(root: string, name: string, a: "gzip" | "zstd", customized: boolean, bIndex: 0 | 1, content: string) {
  const run = okAsync;
  const a0 = initialBlob(name, a, customized, content);
  const a0Digest = fileDigest(a0.path);
  const A = await run(root, "import", a0.path, "--lazy");
  expect(A).toMatchObject({ lazy: true, blob: { digest: a0Digest, diffID: a0.diffID, mediaType: MEDIA[a] } });
  const digests: Record<string, string> = {};
  for (const c of [a, ...ALL.filter((c) => c !== a)]) {
    const [l] = (await run(root, "export", A.id, "--compression", c)).layers;
    expect(l).toMatchObject({ diffID: a0.diffID, mediaType: MEDIA[c] });
    digests[c] = l.digest;
  }
  // Its own compression is its own blob, byte for byte.
  expect(digests[a]).toBe(a0Digest);
  const b = ALL.filter((c) => c !== a)[bIndex]!;
  const B = await run(root, "import", blobFile(root, digests[b]!), "--lazy");
  expect(B.id).not.toBe(A.id);
  expect(B).toMatchObject({ chainID: A.chainID, blob: { digest: digests[b], mediaType: MEDIA[b] } });
  return { A, B, digests, diffID: a0.diffID, b };
}

const cases = [
  ["gzip", false, 0],
  ["gzip", true, 1],
  ["zstd", false, 0],
  ["zstd", true, 1],
] as const;
for (const [a, customized, bIndex] of cases) {
  test(`TestSharingCompressionVariant: ${a}${customized ? " (customized)" : ""}: B made from A's variant keeps every variant after A is pruned`, async () => {
    const root = `${t.dir}/root-${a}-${customized}`;
    const { A, B, digests, diffID, b } = await shareVariants(root, `${a}-${customized}`, a, customized, bIndex, "1");
    const l = hold(root, B.id);
    // B asked for the compressions it was not imported in: A's blob and A's other variant.
    const fromB = async () => {
      const out: Record<string, string> = { [b]: B.blob.digest };
      for (const c of ALL.filter((c) => c !== b)) out[c] = (await okAsync(root, "export", B.id, "--compression", c)).layers[0].digest;
      return out;
    };
    expect(await fromB()).toEqual(digests);
    expect(blobs(root)).toHaveLength(3);

    // A goes; its blob stays, because B's variants are it (SPEC §8: "unless something
    // else refers to them").
    expect(prune(root, "--all").records.map((r) => r.id)).toEqual([A.id]);
    expect(du(root).records).toMatchObject([{ id: B.id, inUse: true }]);
    expect(blobs(root)).toEqual(Object.values(digests).map((d) => d.slice(7)).sort());
    expect(await fromB()).toEqual(digests);
    for (const d of Object.values(digests)) expect(decompressedDigest(blobFile(root, d))).toBe(diffID);

    unhold(root, l);
    expect(prune(root, "--all").records.map((r) => r.id)).toEqual([B.id]);
    expect(du(root).records).toEqual([]);
    expect(blobs(root)).toEqual([]);
  });
}

test("TestSharingCompressionVariant: the cases at once on one root end consistent, each with its own three variants", async () => {
  const root = `${t.dir}/root-parallel`;
  const settled = await Promise.allSettled(
    cases.map(([a, customized, bIndex], k) => shareVariants(root, `p${k}`, a, customized, bIndex, `parallel ${k}`)),
  );
  const failed = settled.flatMap((s, k) => (s.status === "rejected" ? [`${cases[k]!.join(" ")}: ${s.reason}`] : []));
  expect(failed).toEqual([]);
  for (const s of settled) {
    const r = (s as PromiseFulfilledResult<Awaited<ReturnType<typeof shareVariants>>>).value;
    const [own] = (await okAsync(root, "export", r.B.id, "--compression", r.b)).layers;
    expect(own.digest).toBe(r.digests[r.b]);
    for (const d of Object.values(r.digests)) expect(decompressedDigest(blobFile(root, d))).toBe(r.diffID);
  }
  expect(blobs(root)).toHaveLength(12);
  expect(du(root).records).toHaveLength(8);
  expect(ok(root, "check").problems).toEqual([]);
});
