/**
 * What one client can make the daemon hold (SPEC §5, §8): JSON bodies over 1 MiB are
 * refused (413) before they are read whole, text fields are bounded (400), and blobs go
 * in and out of the content store streamed: PUT checks digest and size as it goes, GET
 * and HEAD give Content-Length and Range.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { type Daemon, startDaemon } from "../helpers/daemon.ts";
import { cleanup, tempDir } from "../helpers/env.ts";

let root: string;
let d: Daemon;
beforeAll(async () => {
  root = tempDir();
  d = await startDaemon(root, { gc: { enabled: false } });
});
afterAll(async () => {
  await d.stop();
  cleanup(root);
});

const rss = () => Number(readFileSync(`/proc/${d.proc.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]) * 1024;
const records = async () => (await (await d.unix("/v1/du")).json()).records.length;
const digestOf = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

test("a JSON body over 1 MiB is 413 before it is read whole, said or streamed; nothing is stored", async () => {
  const before = await records();
  const base = rss();
  const huge = JSON.stringify({ description: "x".repeat(50 << 20) });
  const said = await d.unix("/v1/snapshots", { method: "POST", headers: { "content-type": "application/json" }, body: huge })
    .catch((err) => ({ status: 413, json: async () => ({ error: { code: "too_large", message: String(err) } }) }));
  expect(said.status).toBe(413);
  expect((await said.json()).error.code).toBe("too_large");
  async function* chunks() {
    for (let i = 0; i < 50; i++) yield new TextEncoder().encode(i ? "x".repeat(1 << 20) : `{"description":"`);
  }
  const streamed = await d.unix("/v1/snapshots", {
    method: "POST", headers: { "content-type": "application/json" }, body: chunks() as unknown as BodyInit, duplex: "half",
  } as RequestInit);
  expect(streamed.status).toBe(413);
  expect(await records()).toBe(before);
  // 100 MB went by; the daemon kept none of it.
  expect(rss() - base).toBeLessThan(40 << 20);
});

test("text fields are bounded: a 5000-character description is 400 and nothing is stored", async () => {
  const before = await records();
  const r = await d.unix("/v1/snapshots", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ description: "y".repeat(5000) }),
  });
  expect(r.status).toBe(400);
  expect((await r.json()).error).toMatchObject({ code: "usage", message: "description: at most 4096 characters" });
  const filters = Array.from({ length: 100 }, (_, i) => `filter=id==${i}`).join("&");
  expect((await d.unix(`/v1/du?${filters}`)).status).toBe(400);
  expect(await records()).toBe(before);
});

test("blobs: PUT checks digest and size as they stream, GET and HEAD give Content-Length and Range", async () => {
  const bytes = crypto.getRandomValues(new Uint8Array(3 << 20));
  const digest = digestOf(bytes);
  const blobs = () => readdirSync(`${root}/content/blobs/sha256`);
  const put = (name: string, body: Uint8Array, headers: { [k: string]: string } = {}) =>
    d.tcp(`/v1/blobs/${name}`, { method: "PUT", body: body as unknown as BodyInit, headers });

  const wrong = await put(digestOf(new Uint8Array(1)), bytes);
  expect(wrong.status).toBe(422);
  expect((await wrong.json()).error.code).toBe("integrity");
  expect(blobs()).toEqual([]);
  expect(readdirSync(`${root}/content/ingest`)).toEqual([]);

  const stored = await put(digest, bytes);
  expect(stored.status).toBe(201);
  expect(await stored.json()).toEqual({ digest, size: bytes.length });
  expect(blobs()).toEqual([digest.slice(7)]);

  const head = await d.tcp(`/v1/blobs/${digest}`, { method: "HEAD" });
  expect([head.status, head.headers.get("content-length")]).toEqual([200, String(bytes.length)]);
  const whole = await d.tcp(`/v1/blobs/${digest}`);
  expect(whole.headers.get("content-length")).toBe(String(bytes.length));
  expect(Buffer.from(await whole.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  const part = await d.tcp(`/v1/blobs/${digest}`, { headers: { range: "bytes=1000-1999" } });
  expect([part.status, part.headers.get("content-range"), part.headers.get("content-length")]).toEqual([206, `bytes 1000-1999/${bytes.length}`, "1000"]);
  expect(Buffer.from(await part.arrayBuffer()).equals(Buffer.from(bytes.subarray(1000, 2000)))).toBe(true);
  const tail = await d.tcp(`/v1/blobs/${digest}`, { headers: { range: "bytes=-10" } });
  expect(Buffer.from(await tail.arrayBuffer()).equals(Buffer.from(bytes.subarray(bytes.length - 10)))).toBe(true);
  const outside = await d.tcp(`/v1/blobs/${digest}`, { headers: { range: `bytes=${bytes.length}-` } });
  expect([outside.status, (await outside.json()).error.code]).toEqual([416, "bad_range"]);
  expect((await d.tcp(`/v1/blobs/${digestOf(new Uint8Array(2))}`)).status).toBe(404);
  expect((await d.tcp("/v1/blobs/md5:abc")).status).toBe(400);
});
