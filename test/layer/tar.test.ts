/** The tar writer and reader agree with each other and with GNU tar. */
import { afterAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { TarEntry } from "../../src/layer/tar/entry.ts";
import { TarReader } from "../../src/layer/tar/reader.ts";
import { headerFor, padding, trailer } from "../../src/layer/tar/writer.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

const dir = tempDir();
afterAll(() => cleanup(dir));

const base = { mode: 0o644, uid: 0, gid: 0, size: 0, mtimeNs: 1_600_000_000_000_000_000n, linkname: "", devmajor: 0, devminor: 0, xattrs: new Map<string, Uint8Array>() };
const entries: TarEntry[] = [
  { ...base, path: "plain", type: "file", size: 5 },
  { ...base, path: `${"long/".repeat(40)}name`, type: "file", size: 3 },
  { ...base, path: "ünïcödé ✓", type: "file", size: 0, mtimeNs: 1_600_000_000_123_456_789n },
  { ...base, path: "dir/", type: "dir", mode: 0o755 },
  { ...base, path: "dir/link", type: "symlink", linkname: `../${"target/".repeat(30)}x` },
  { ...base, path: "dir/hard", type: "hardlink", linkname: "plain" },
  { ...base, path: "big-ids", type: "file", uid: 70_000_000, gid: 3_000_000_000 },
  { ...base, path: "xattrs", type: "file", xattrs: new Map([["user.a", new Uint8Array([1, 2, 3])], ["security.capability", new Uint8Array([0])]]) },
  { ...base, path: "fifo", type: "fifo" },
  { ...base, path: "null", type: "char", devmajor: 1, devminor: 3, mode: 0o666 },
];
const data: { [path: string]: string } = { plain: "hello", [`${"long/".repeat(40)}name`]: "abc" };

function archive(): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    parts.push(headerFor(e).slice()); // valid until the next call
    if (e.type === "file" && e.size) {
      parts.push(new TextEncoder().encode(data[e.path]!));
      parts.push(new Uint8Array(padding(e.size)));
    }
  }
  parts.push(trailer());
  return Buffer.concat(parts);
}

test("GNU tar lists what the writer wrote", () => {
  writeFileSync(`${dir}/w.tar`, archive());
  const listing = execFileSync("tar", ["-tvf", `${dir}/w.tar`, "--numeric-owner"]).toString().trim().split("\n");
  expect(listing.map((l) => l.split(/\s+/).slice(5).join(" "))).toEqual([
    "plain", `${"long/".repeat(40)}name`, "ünïcödé ✓", "dir/", `dir/link -> ../${"target/".repeat(30)}x`,
    "dir/hard link to plain", "big-ids", "xattrs", "fifo", "null",
  ]);
  expect(listing[6]).toContain("70000000/3000000000");
});

test("the reader reads back every field, fed in awkward chunk sizes", () => {
  const bytes = archive();
  for (const step of [1, 7, 512, 513, 100_000]) {
    const seen: TarEntry[] = [];
    const content: { [p: string]: string } = {};
    let current = "";
    const r = new TarReader({
      entry: (e) => {
        seen.push(e);
        current = e.path;
        content[current] = "";
      },
      data: (c) => void (content[current] += new TextDecoder().decode(c)),
      end: () => {},
    });
    for (let i = 0; i < bytes.length; i += step) r.push(bytes.subarray(i, i + step));
    r.finish();
    const sortedX = (x: Map<string, Uint8Array>) => [...x].sort(([a], [b]) => (a < b ? -1 : 1));
    expect(seen.map((e) => ({ ...e, xattrs: sortedX(e.xattrs) })))
      .toEqual(entries.map((e) => ({ ...e, size: e.type === "file" ? e.size : 0, xattrs: sortedX(e.xattrs) })));
    expect(content.plain).toBe("hello");
  }
});

test("the reader reads GNU tar's own long names (L and K entries)", () => {
  const long = `${"d".repeat(60)}/${"e".repeat(60)}/${"f".repeat(60)}`;
  execFileSync("sh", ["-c", `cd ${dir} && mkdir -p ${long.slice(0, long.lastIndexOf("/"))} && echo x > ${long} && ln -s ${long} ${"l".repeat(120)} && tar --format=gnu -cf gnu.tar d* l*`]);
  const names: string[] = [];
  const links: string[] = [];
  const r = new TarReader({ entry: (e) => (names.push(e.path), links.push(e.linkname)), data: () => {}, end: () => {} });
  r.push(new Uint8Array(require("node:fs").readFileSync(`${dir}/gnu.tar`)));
  r.finish();
  expect(names).toContain(long);
  expect(links).toContain(long);
});
