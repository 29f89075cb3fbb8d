/** Extraction's helper thread: files opened here are written, finished and closed there. */
import { afterAll, expect, test } from "bun:test";
import { constants, lstatSync, openSync, readFileSync } from "node:fs";
import { fileWriter } from "../../src/runtime/bun/file-writer.ts";
import { sys } from "../../src/runtime/bun/sys.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

const dir = tempDir();
afterAll(() => cleanup(dir));
const create = (p: string) => openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);

test("data in many pieces and batches lands in order, with mode, xattrs and nanosecond times", async () => {
  const w = fileWriter();
  const expected: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    const fd = create(`${dir}/f${i}`);
    const parts: Buffer[] = [];
    // Pieces of up to 300 KiB: several files cross the 1 MiB batch boundaries.
    for (let j = 0; j <= i % 5; j++) parts.push(Buffer.alloc(1 + ((i * 7919 + j * 104729) % 300_000), i + j));
    for (const p of parts) w.data(fd, p);
    expected.push(Buffer.concat(parts));
    w.end(fd, {
      uid: 0, gid: 0, mode: i % 2 ? 0o640 : 0o755, mtimeNs: 1_600_000_000_000_000_001n + BigInt(i),
      xattrs: new Map([["user.i", new TextEncoder().encode(String(i))]]), chown: false,
    });
    await w.ready();
  }
  const blocks = await w.finish();
  let sum = 0;
  for (let i = 0; i < 40; i++) {
    const p = `${dir}/f${i}`;
    expect(readFileSync(p).equals(expected[i]!)).toBe(true);
    const st = lstatSync(p, { bigint: true });
    expect(Number(st.mode) & 0o7777).toBe(i % 2 ? 0o640 : 0o755);
    expect(st.mtimeNs).toBe(1_600_000_000_000_000_001n + BigInt(i));
    expect(new TextDecoder().decode(sys.getxattr(p, "user.i"))).toBe(String(i));
    sum += Number(st.blocks) * 512;
  }
  expect(blocks).toBe(sum);
});

test("a failure on the thread comes back from finish, with its code", async () => {
  const w = fileWriter();
  const fd = create(`${dir}/bad`);
  w.data(fd, Buffer.from("x"));
  w.end(fd, { uid: 0, gid: 0, mode: 0o644, mtimeNs: 0n, xattrs: new Map(), chown: false });
  w.data(987654, Buffer.from("to no file"));
  await expect(w.finish()).rejects.toMatchObject({ code: "EBADF" });
});
