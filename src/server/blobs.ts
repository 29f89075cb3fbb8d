/**
 * The content store over HTTP (SPEC §5): `PUT /v1/blobs/{digest}` streams a blob in,
 * checked against its digest and `Content-Length` as it comes (a mismatch is 422 and
 * nothing is kept); `GET` and `HEAD` answer with `Content-Length`, and `GET` honours a
 * single `Range` (206, or 416 for one that lies outside the blob). Nothing is buffered.
 */
import type { Hono } from "hono";
import type { Service } from "../api/service.ts";
import { usage } from "../core/errors.ts";
import type { Env } from "./app.ts";
import { HttpError } from "./errors.ts";
import type { SendFile } from "../runtime/runtime.ts";

const digestOf = (raw: string) => {
  if (!/^sha256:[0-9a-f]{64}$/.test(raw)) throw usage(`invalid digest "${raw}"`);
  return raw;
};

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` against a blob of `size` bytes; undefined for anything else. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const m = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  const range = m[1] === ""
    ? { start: Math.max(0, size - Number(m[2])), end: size - 1 }
    : { start: Number(m[1]), end: m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1) };
  if (range.start > range.end || range.start >= size) {
    throw new HttpError(416, "bad_range", `range ${header} is outside the blob's ${size} bytes`);
  }
  return range;
}

export function blobRoutes(app: Hono<Env>, svc: Service, sendFile: SendFile, changed: () => void) {
  app.put("/v1/blobs/:digest", async (c) => {
    const digest = digestOf(c.req.param("digest"));
    const length = c.req.header("content-length");
    const body = (c.req.raw.body ?? []) as unknown as AsyncIterable<Uint8Array>;
    const stored = await svc.putBlob(digest, body, { size: length === undefined ? undefined : Number(length), lease: c.req.query("lease") });
    changed();
    return c.json(stored, 201);
  });

  app.on(["GET", "HEAD"], "/v1/blobs/:digest", (c) => {
    const digest = digestOf(c.req.param("digest"));
    const size = svc.blobSize(digest);
    const headers: { [k: string]: string } = { "content-type": "application/octet-stream", "accept-ranges": "bytes" };
    const range = c.req.method === "GET" ? parseRange(c.req.header("range"), size) : undefined;
    if (c.req.method === "HEAD") return new Response(null, { headers: { ...headers, "content-length": String(size) } });
    if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
    headers["content-length"] = String(range ? range.end - range.start + 1 : size);
    return new Response(sendFile(svc.blobFile(digest), range), { status: range ? 206 : 200, headers });
  });
}
