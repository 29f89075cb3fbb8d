/**
 * Layers from strangers (SPEC §3.7): nothing is written outside the snapshot. Per case:
 * contained (the layer imports, confined) or rejected (exit 8, nothing left behind).
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, utimesSync, writeFileSync,
} from "node:fs";
import { cleanup, cli, ok, tempDir } from "../helpers/env.ts";
import { craftTar, gnuTar } from "../helpers/tars.ts";

let dir: string;
let root: string;
let outside: string;
beforeEach(() => {
  dir = tempDir();
  root = `${dir}/root`;
  outside = `${dir}/outside`;
  mkdirSync(outside);
  writeFileSync(`${outside}/precious`, "keep me");
});
afterEach(() => {
  try {
    // Whatever the layer tried, the world outside the store is as it was.
    expect(readdirSync(outside)).toEqual(["precious"]);
    expect(readFileSync(`${outside}/precious`, "utf8")).toBe("keep me");
    expect(statSync(`${outside}/precious`).nlink).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(["layer", "outside", "root"].filter((n) => existsSync(`${dir}/${n}`)).sort());
  } finally {
    cleanup(dir); // a failed check must not leave its files in /tmp
  }
});

/** A rejected layer leaves no record, no directory, no blob, no temp file. */
function rejected(args: string[]) {
  const r = cli(root, "import", ...args);
  expect({ code: r.code, oneLine: /^strata: [^\n]+\n$/.test(r.stderr) }).toEqual({ code: 8, oneLine: true });
  expect(readdirSync(`${root}/snapshots`)).toEqual([]);
  expect(readdirSync(`${root}/content/blobs/sha256`)).toEqual([]);
  expect(readdirSync(`${root}/content/ingest`)).toEqual([]);
  expect(ok(root, "du").records).toEqual([]);
  return r.stderr;
}

const layer = () => `${dir}/layer`;

test("../x climbing out is rejected", () => {
  craftTar(layer(), [{ name: "ok" }, { name: "../outside/x", data: "pwned" }]);
  expect(rejected([layer()])).toContain("climbs out");
});

test("a deeper climb through a real directory is rejected too", () => {
  craftTar(layer(), [{ name: "a", type: "dir" }, { name: "a/../../../outside/x", data: "pwned" }]);
  rejected([layer()]);
});

test("/absolute names are contained: taken relative to the snapshot", () => {
  craftTar(layer(), [{ name: `${outside}/abs`, data: "inside" }]);
  const rec = ok(root, "import", layer());
  expect(readFileSync(`${ok(root, "path", rec.id).path}${outside}/abs`, "utf8")).toBe("inside");
});

test("a symlink to an outside directory, then a write through it: contained", () => {
  craftTar(layer(), [{ name: "evil", type: "symlink", link: outside }, { name: "evil/pwned", data: "pwned" }]);
  const rec = ok(root, "import", layer());
  const p = ok(root, "path", rec.id).path;
  expect(readlinkSync(`${p}/evil`)).toBe(outside);
  // The write followed the link as if the snapshot were /.
  expect(readFileSync(`${p}${outside}/pwned`, "utf8")).toBe("pwned");
});

test("a relative symlink climbing out, then a write through it: contained", () => {
  craftTar(layer(), [
    { name: "d", type: "dir" },
    { name: "d/up", type: "symlink", link: "../../../../../../../../.." },
    { name: "d/up/outside/pwned", data: "pwned" },
  ]);
  const rec = ok(root, "import", layer());
  const p = ok(root, "path", rec.id).path;
  expect(readFileSync(`${p}/outside/pwned`, "utf8")).toBe("pwned");
});

test("a symlink in a lower layer is no way out either", () => {
  craftTar(`${dir}/base`, [{ name: "lib", type: "symlink", link: `${outside}` }]);
  const base = ok(root, "import", `${dir}/base`);
  craftTar(layer(), [{ name: "lib/pwned", data: "pwned" }]);
  const up = ok(root, "import", layer(), "--parent", base.id);
  expect(readFileSync(`${ok(root, "path", up.id).path}${outside}/pwned`, "utf8")).toBe("pwned");
  execFileSync("rm", ["-f", `${dir}/base`]);
});

test("a directory's metadata is never set through a symlink a later entry put on its path", () => {
  chmodSync(outside, 0o700);
  utimesSync(outside, 1_000_000, 1_000_000);
  const was = statSync(outside);
  // "a/outside" is made (mode 0755 in the tar), then "a" becomes a symlink to the directory
  // holding the real "outside": metadata set at the end by path would land there.
  craftTar(layer(), [{ name: "a", type: "dir" }, { name: "a/outside", type: "dir" }, { name: "a", type: "symlink", link: dir }]);
  const rec = ok(root, "import", layer());
  expect(readlinkSync(`${ok(root, "path", rec.id).path}/a`)).toBe(dir);
  const now = statSync(outside);
  expect({ mode: now.mode & 0o7777, mtime: now.mtimeMs }).toEqual({ mode: 0o700, mtime: was.mtimeMs });
});

test("a directory removed by a later whiteout in the same layer is simply gone", () => {
  craftTar(layer(), [{ name: "a", type: "dir" }, { name: "a/f", data: "x" }, { name: ".wh.a" }, { name: "b", data: "y" }]);
  const rec = ok(root, "import", layer());
  expect(readdirSync(ok(root, "path", rec.id).path)).toEqual(["b"]);
});

test("a hardlink to an outside file is rejected, by .. or by absolute path", () => {
  craftTar(layer(), [{ name: "hl", type: "hardlink", link: "../../../../outside/precious" }]);
  rejected([layer()]);
  craftTar(layer(), [{ name: "hl", type: "hardlink", link: `${outside}/precious` }]);
  expect(rejected([layer()])).toContain("not a file in the snapshot");
});

test("a hardlink to a file inside the layer works", () => {
  craftTar(layer(), [{ name: "a", data: "shared" }, { name: "b", type: "hardlink", link: "a" }]);
  const p = ok(root, "path", ok(root, "import", layer()).id).path;
  expect(lstatSync(`${p}/b`).ino).toBe(lstatSync(`${p}/a`).ino);
});

test("whiteouts with .. are rejected", () => {
  craftTar(layer(), [{ name: "../outside/.wh.precious" }]);
  rejected([layer()]);
  craftTar(layer(), [{ name: "a", type: "dir" }, { name: "a/.wh..." }]);
  rejected([layer()]);
});

test("a truncated gzip is rejected", () => {
  mkdirSync(`${dir}/t`);
  writeFileSync(`${dir}/t/f`, Buffer.alloc(200_000, 7));
  gnuTar(`${dir}/t`, `${dir}/full.tgz`);
  const bytes = readFileSync(`${dir}/full.tgz`);
  writeFileSync(layer(), bytes.subarray(0, bytes.length - 50));
  expect(rejected([layer()])).toMatch(/corrupt layer/);
  execFileSync("rm", ["-rf", `${dir}/t`, `${dir}/full.tgz`]);
});

test("a corrupt gzip stream is rejected", () => {
  mkdirSync(`${dir}/t`);
  writeFileSync(`${dir}/t/f`, "some data ".repeat(10_000));
  gnuTar(`${dir}/t`, `${dir}/full.tgz`);
  const bytes = Buffer.from(readFileSync(`${dir}/full.tgz`));
  for (let i = 20; i < bytes.length - 10; i += 7) bytes[i] = bytes[i]! ^ 0xff;
  writeFileSync(layer(), bytes);
  expect(rejected([layer()])).toMatch(/corrupt layer/);
  execFileSync("rm", ["-rf", `${dir}/t`, `${dir}/full.tgz`]);
});

test("a corrupt zstd frame is rejected", () => {
  mkdirSync(`${dir}/t`);
  writeFileSync(`${dir}/t/f`, "some data ".repeat(10_000));
  gnuTar(`${dir}/t`, `${dir}/full.zst`, "zstd");
  const bytes = Buffer.from(readFileSync(`${dir}/full.zst`));
  for (let i = 20; i < bytes.length - 10; i += 7) bytes[i] = bytes[i]! ^ 0xff;
  writeFileSync(layer(), bytes);
  rejected([layer()]);
  execFileSync("rm", ["-rf", `${dir}/t`, `${dir}/full.zst`]);
});

test("big layers: a truncated gzip or zstd and a corrupt zstd are rejected, the whole ones import", () => {
  mkdirSync(`${dir}/t`);
  // Random bytes do not compress: blobs of several zlib chunks.
  writeFileSync(`${dir}/t/f`, randomBytes(400_000));
  gnuTar(`${dir}/t`, `${dir}/full.tgz`);
  gnuTar(`${dir}/t`, `${dir}/full.zst`, "zstd");
  const gz = readFileSync(`${dir}/full.tgz`);
  expect(gz.length).toBeGreaterThan(64 << 10);
  // Whole, both import, byte for byte.
  for (const whole of ["full.tgz", "full.zst"]) {
    const rec = ok(`${dir}/root-ok`, "import", `${dir}/${whole}`);
    expect(readFileSync(`${ok(`${dir}/root-ok`, "path", rec.id).path}/f`).equals(readFileSync(`${dir}/t/f`))).toBe(true);
  }
  execFileSync("rm", ["-rf", `${dir}/root-ok`]);
  writeFileSync(layer(), gz.subarray(0, gz.length - 50));
  expect(rejected([layer()])).toMatch(/corrupt layer/);
  const zst = Buffer.from(readFileSync(`${dir}/full.zst`));
  writeFileSync(layer(), zst.subarray(0, zst.length - 50));
  expect(rejected([layer()])).toMatch(/corrupt layer/);
  for (let i = 1000; i < zst.length - 10; i += 501) zst[i] = zst[i]! ^ 0xff;
  writeFileSync(layer(), zst);
  expect(rejected([layer()])).toMatch(/corrupt layer/);
  execFileSync("rm", ["-rf", `${dir}/t`, `${dir}/full.tgz`, `${dir}/full.zst`]);
});

test("a layer that fails after its files went to the helper thread leaves nothing behind", () => {
  // 600 files (the helper takes over after 256) and 6 MiB, then `..` climbing out.
  mkdirSync(`${dir}/many`);
  for (let i = 0; i < 600; i++) writeFileSync(`${dir}/many/f${i}`, i % 100 ? `${i} `.repeat(50) : randomBytes(1 << 20));
  const script = `
import io, sys, tarfile
with tarfile.open(sys.argv[2], "w:gz", format=tarfile.PAX_FORMAT) as t:
    t.add(sys.argv[1], arcname="many")
    i = tarfile.TarInfo("../outside/x"); i.size = 5
    t.addfile(i, io.BytesIO(b"pwned"))
`;
  execFileSync("python3", ["-c", script, `${dir}/many`, layer()]);
  execFileSync("rm", ["-rf", `${dir}/many`]);
  expect(rejected([layer()])).toContain("climbs out");
});

test("a tar header with a bogus size is rejected", () => {
  craftTar(layer(), [{ name: "f", data: "hello" }]);
  const bytes = Buffer.from(readFileSync(layer()));
  // Find the entry's header (the PAX header comes first when present) and break its size.
  let at = 0;
  while (bytes[at + 156] !== "0".charCodeAt(0)) at += 512 + Math.ceil(parseInt(bytes.subarray(at + 124, at + 136).toString(), 8) / 512) * 512;
  bytes.write("9z9z9z9z9z9\0", at + 124, "latin1");
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= at + 148 - at && i < 156 ? 32 : bytes[at + i]!;
  bytes.write(sum.toString(8).padStart(6, "0") + "\0 ", at + 148, "latin1");
  writeFileSync(layer(), bytes);
  expect(rejected([layer()])).toMatch(/size is not a number/);
  // A size larger than what follows is a truncation.
  craftTar(layer(), [{ name: "f", data: "hello" }]);
  const big = Buffer.from(readFileSync(layer()));
  writeFileSync(layer(), big.subarray(0, 1024 + 100));
  rejected([layer()]);
});

test("an image layout whose layer's bytes do not match its digest is rejected", () => {
  // Valid layers, changed after the manifest named them: the tar and gzip still read fine.
  for (const compression of ["uncompressed", "gzip"]) {
    const src = `${layer()}/src-${compression}`;
    const m = ok(src, "new");
    writeFileSync(`${m.path}/f`, "A".repeat(5000));
    const out = ok(src, "export", ok(src, "commit", m.id).id, "--compression", compression, "--output", `${layer()}/oci-${compression}`, "--tag", "t");
    const blob = `${layer()}/oci-${compression}/blobs/sha256/${out.layers[0].digest.slice(7)}`;
    const tar = compression === "gzip" ? execFileSync("gzip", ["-dc", blob]) : readFileSync(blob);
    tar[tar.indexOf("AAAA")] = 0x42;
    writeFileSync(blob, compression === "gzip" ? execFileSync("gzip", ["-n", "-c"], { input: tar }) : tar);
    expect(rejected([`oci:${layer()}/oci-${compression}:t`])).toMatch(/mismatch/);
  }
});
