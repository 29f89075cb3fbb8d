/**
 * Replays BuildKit's TestConversion: a layer converted from every compression to every
 * other, concurrently, comes back uncompressed as the original tar, byte for byte; also a
 * tar made by the system's tar, with its `./` entry and padding to a whole 10240-byte
 * record, which re-tarring the tree would lose.
 *
 * strata differs: there is no converter call (and no estargz); a conversion is an export
 * in another compression (SPEC §3.8: variants of one layer), from a root that holds only the
 * blob being converted, and the result is decompressed by gzip or zstd to be compared.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { blobFile, cleanup, type Fresh, fileDigest, fresh, layer, ok, okAsync } from "./helpers.ts";

let t: Fresh;
let origins: { name: string; path: string }[];
beforeAll(() => {
  t = fresh();
  const py = layer(t.dir, "py", { foo1: "bar1", foo2: "bar2" }).tar;
  mkdirSync(`${t.dir}/tree`);
  writeFileSync(`${t.dir}/tree/foo1`, "bar1");
  writeFileSync(`${t.dir}/tree/foo2`, "bar2");
  execFileSync("tar", ["-C", `${t.dir}/tree`, "-cf", `${t.dir}/sys.tar`, "."]);
  origins = [{ name: "archive writer", path: py }, { name: "system tar", path: `${t.dir}/sys.tar` }];
});
afterAll(() => cleanup(t.dir));

const COMPRESSIONS = ["uncompressed", "gzip", "zstd"] as const;

/** A blob's bytes decompressed by the system's gzip or zstd (or as they are). */
const decompressed = (path: string) => execFileSync("sh", ["-c", `case "$(head -c2 "$1" | xxd -p)" in 1f8b) gzip -dc "$1";; 28b5) zstd -dc "$1";; *) cat "$1";; esac`, "sh", path], { maxBuffer: 1 << 26 });

test("TestConversion: every compression converted to every other gives the original tar back, byte for byte, concurrently", async () => {
  const { root, dir } = t;
  expect(statSync(origins[1]!.path).size % 10240).toBe(0);
  // org → i: exported from one root. i → j: in a root of its own that has only i's blob,
  // so nothing can be found instead of converted. j → tar: the system's tools.
  const convert = async (o: { name: string; path: string }, k: number) => {
    const org = readFileSync(o.path);
    const r = await okAsync(root, "import", o.path, "--lazy");
    expect(r.blob).toMatchObject({ digest: fileDigest(o.path), diffID: fileDigest(o.path) });
    return Promise.all(COMPRESSIONS.map(async (i) => {
      const [di] = (await okAsync(root, "export", r.id, "--compression", i)).layers;
      const other = `${dir}/root-${k}-${i}`;
      const ri = await okAsync(other, "import", blobFile(root, di.digest), "--lazy");
      return Promise.all(COMPRESSIONS.map(async (j) => {
        const [dj] = (await okAsync(other, "export", ri.id, "--compression", j)).layers;
        const same = dj.diffID === fileDigest(o.path) && decompressed(blobFile(other, dj.digest)).equals(org);
        return `${o.name} ${i}→${j}: ${same ? "the original tar" : "another tar"}`;
      }));
    }));
  };
  const got = (await Promise.all(origins.map(convert))).flat(2);
  expect(got).toEqual(origins.flatMap((o) => COMPRESSIONS.flatMap((i) => COMPRESSIONS.map((j) => `${o.name} ${i}→${j}: the original tar`))));
  expect(ok(root, "check").problems).toEqual([]);
});
