/** libc calls on Bun: xattr name lists, from reused buffers or, when long, grown ones. */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { sys } from "../../src/runtime/bun/sys.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

const dir = tempDir();
afterAll(() => cleanup(dir));
const bytes = (s: string) => new TextEncoder().encode(s);

test("listxattr: none, a few, and a list longer than the reused buffer", () => {
  writeFileSync(`${dir}/plain`, "");
  expect(sys.listxattr(`${dir}/plain`)).toEqual([]);
  writeFileSync(`${dir}/few`, "");
  for (const n of ["user.b", "user.a", "user.ünï"]) sys.setxattr(`${dir}/few`, n, bytes(n));
  expect(sys.listxattr(`${dir}/few`).sort()).toEqual(["user.a", "user.b", "user.ünï"]);
  writeFileSync(`${dir}/many`, "");
  const many = Array.from({ length: 24 }, (_, i) => `user.${String(i).padStart(2, "0")}${"x".repeat(60)}`);
  for (const n of many) sys.setxattr(`${dir}/many`, n, bytes("v"));
  expect(sys.listxattr(`${dir}/many`).sort()).toEqual(many);
  // A deep path, longer than the first path buffer holds.
  const deep = `${dir}/${"d".repeat(200)}/${"e".repeat(200)}/${"f".repeat(200)}/${"g".repeat(200)}/${"h".repeat(200)}/${"i".repeat(200)}/${"j".repeat(200)}`;
  mkdirSync(deep, { recursive: true });
  writeFileSync(`${deep}/ünïcödé`, "");
  sys.setxattr(`${deep}/ünïcödé`, "user.deep", bytes("1"));
  expect(sys.listxattr(`${deep}/ünïcödé`)).toEqual(["user.deep"]);
  expect(sys.listxattr(`${dir}/few`).length).toBe(3); // the buffers, reused, hold no leftovers
});

test("listxattr of a missing path, or through a symlink, is an error or the link's own list", () => {
  expect(() => sys.listxattr(`${dir}/missing`)).toThrow(expect.objectContaining({ code: "ENOENT" }));
  writeFileSync(`${dir}/target`, "");
  sys.setxattr(`${dir}/target`, "user.t", bytes("t"));
  symlinkSync(`${dir}/target`, `${dir}/link`);
  expect(sys.listxattr(`${dir}/link`)).toEqual([]);
});
