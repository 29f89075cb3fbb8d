/**
 * Extraction's helper thread: it hashes the tar stream it is handed chunk by chunk, and
 * files opened here are written from those chunks, finished and closed there.
 */
import { afterAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { constants, lstatSync, openSync, readFileSync } from "node:fs";
import { fileWriter } from "../../src/runtime/bun/file-writer.ts";
import { sys } from "../../src/runtime/bun/sys.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

const dir = tempDir();
afterAll(() => cleanup(dir));
const create = (p: string) => openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
const sha = (chunks: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const c of chunks) h.update(c);
  return `sha256:${h.digest("hex")}`;
};

test("data from the handed-over chunks lands in order, with mode, xattrs and nanosecond times; the stream's hash", async () => {
  const w = fileWriter();
  const expected: Buffer[] = [];
  const copies: Uint8Array[] = [];
  // 40 files over 256 KiB chunks: most files cross chunk boundaries, some chunks hold several.
  let chunk = new Uint8Array(256 * 1024);
  let used = 0;
  const handOver = async () => {
    copies.push(chunk.slice(0, used));
    w.update(used === chunk.length ? chunk : chunk.slice(0, used));
    chunk = new Uint8Array(256 * 1024);
    used = 0;
    await w.ready();
  };
  for (let i = 0; i < 40; i++) {
    const fd = create(`${dir}/f${i}`);
    const size = 1 + ((i * 7919 * 104729) % 700_000);
    const data = Buffer.alloc(size, i);
    for (let at = 0; at < size;) {
      const n = Math.min(size - at, chunk.length - used);
      chunk.set(data.subarray(at, at + n), used);
      w.data(fd, chunk.subarray(used, used + n));
      used += n;
      at += n;
      if (used === chunk.length) await handOver();
    }
    expected.push(data);
    w.end(fd, {
      uid: 0, gid: 0, mode: i % 2 ? 0o640 : 0o755, mtimeNs: 1_600_000_000_000_000_001n + BigInt(i),
      xattrs: i % 3 ? new Map() : new Map([["user.i", new TextEncoder().encode(String(i))]]), chown: false,
    });
  }
  await handOver();
  expect(await w.digest()).toBe(sha(copies));
  const blocks = await w.finish();
  let sum = 0;
  for (let i = 0; i < 40; i++) {
    const p = `${dir}/f${i}`;
    expect(readFileSync(p).equals(expected[i]!)).toBe(true);
    const st = lstatSync(p, { bigint: true });
    expect(Number(st.mode) & 0o7777).toBe(i % 2 ? 0o640 : 0o755);
    expect(st.mtimeNs).toBe(1_600_000_000_000_000_001n + BigInt(i));
    if (i % 3 === 0) expect(new TextDecoder().decode(sys.getxattr(p, "user.i"))).toBe(String(i));
    else expect(sys.listxattr(p)).toEqual([]);
    sum += Number(st.blocks) * 512;
  }
  expect(blocks).toBe(sum);
});

test("a small stream with no files is hashed without a thread; data outside the chunk is copied", async () => {
  const small = fileWriter();
  const parts = [new Uint8Array([1, 2, 3]), new Uint8Array(1000).fill(7)];
  for (const p of parts) small.update(p);
  expect(await small.digest()).toBe(sha(parts));
  expect(await small.finish()).toBe(0);

  const w = fileWriter();
  const fd = create(`${dir}/elsewhere`);
  w.data(fd, new Uint8Array([104, 105])); // not part of the chunk handed over next
  w.end(fd, { uid: 0, gid: 0, mode: 0o600, mtimeNs: 0n, xattrs: new Map(), chown: false });
  const c = new Uint8Array([9, 9, 9]);
  w.update(c);
  expect(await w.digest()).toBe(sha([new Uint8Array([9, 9, 9])]));
  await w.finish();
  expect(readFileSync(`${dir}/elsewhere`, "utf8")).toBe("hi");
  expect(lstatSync(`${dir}/elsewhere`, { bigint: true }).mtimeNs).toBe(0n);
});

test("times before 1970 survive the trip as numbers", async () => {
  const w = fileWriter();
  const fd = create(`${dir}/old`);
  const chunk = new Uint8Array([1]);
  w.data(fd, chunk);
  w.end(fd, { uid: 0, gid: 0, mode: 0o644, mtimeNs: -1_500_000_001n, xattrs: new Map(), chown: false });
  w.update(chunk);
  await w.finish();
  expect(lstatSync(`${dir}/old`, { bigint: true }).mtimeNs).toBe(-1_500_000_001n);
});

test("a failure on the thread comes back from finish, with its code", async () => {
  const w = fileWriter();
  const fd = create(`${dir}/bad`);
  const chunk = new Uint8Array([120, 0, 0]);
  w.data(fd, chunk.subarray(0, 1));
  w.end(fd, { uid: 0, gid: 0, mode: 0o644, mtimeNs: 0n, xattrs: new Map(), chown: false });
  w.data(987654, chunk.subarray(1));
  w.update(chunk);
  await expect(w.finish()).rejects.toMatchObject({ code: "EBADF" });
});

test("the thread holds at most 16 buffers: with none back yet, ready() waits instead of fresh memory being taken", async () => {
  const w = fileWriter();
  const sent: Uint8Array[] = [];
  const fill = (i: number) => {
    const c = w.fill!((into) => (into.fill(i), into.length));
    sent.push(c.slice());
    w.update(c);
  };
  // 4 MiB in 16 buffers starts the thread; no answer can come before this test awaits.
  for (let i = 0; i < 15; i++) fill(i);
  expect(w.ready()).toBeUndefined();
  fill(15);
  const wait = w.ready();
  expect(wait).toBeInstanceOf(Promise);
  await wait;
  for (let i = 16; i < 40; i++) {
    fill(i);
    await w.ready();
  }
  expect(await w.digest()).toBe(sha(sent));
  await w.finish();
});
