/**
 * A proxy between the client and a test registry that misbehaves on request: it cuts a
 * blob download off halfway once, answers 429 with `Retry-After: 1` a number of times,
 * answers 500 forever, flips a byte of every blob body, or drops Range headers on the
 * way (a registry without range support). It can also page tag lists
 * as the distribution spec describes (`n`, `last`, `Link: <…>; rel="next"`, lexical
 * order), which distribution 2.8 does not: it ignores `n` and sends every tag at once.
 * It records what it saw (a Range header included) so tests can tell what the client
 * did. The probe of `/v2/` is never interfered with. Start the registry with
 * `relativeUrls` so upload Locations lead back through the proxy.
 */

export interface Seen {
  method: string;
  path: string;
  range: string | null;
  status: number;
}

export interface FaultProxy {
  host: string;
  seen: Seen[];
  /**
   * Cut the next blob GET (of those whose path matches) off after half its body: by
   * resetting the connection (Bun logs the stream error that does it), or by ending the
   * body short of its length.
   */
  dropBlobOnce(how?: "reset" | "short", match?: RegExp): void;
  /** Answer the next `n` requests (of those whose `METHOD /path` matches) with 429 and `Retry-After: 1`. */
  tooMany(n: number, match?: RegExp): void;
  /** Answer every request (of those whose path matches) with 500 and a registry error body until turned off. */
  failForever(on: boolean, match?: RegExp): void;
  /** Flip a byte in the middle of every blob body (of blobs whose path matches) until turned off. */
  corruptBlobs(on: boolean, match?: RegExp): void;
  /** Page `tags/list` by its `n` and `last` until turned off. */
  pageTags(on: boolean): void;
  /** Pass requests on without their Range header, as a registry without range support. */
  ignoreRange(on: boolean): void;
  stop(): void;
}

const BLOB = /\/blobs\/sha256:[0-9a-f]{64}$/;
const HOP = ["host", "connection", "content-length", "accept-encoding", "transfer-encoding", "keep-alive"];

const error = (status: number, code: string, message: string, headers: { [k: string]: string } = {}) =>
  Response.json({ errors: [{ code, message }] }, { status, headers });

export function startFaultProxy(upstream: string): FaultProxy {
  let drop: false | "reset" | "short" = false;
  let dropped = /./;
  let throttle = 0;
  let throttled = /./;
  let noRange = false;
  let fail = false;
  let failing = /./;
  let corrupt = false;
  let corrupted = /./;
  let paging = false;
  const seen: Seen[] = [];

  /** The spec's pagination over the registry's whole list. */
  async function page(req: Request, url: URL): Promise<Response> {
    const res = await forward(req, new URL(url.pathname, url));
    if (res.status !== 200) return res;
    const body = (await res.json()) as { name: string; tags: string[] };
    const n = Number(url.searchParams.get("n") ?? Infinity);
    const last = url.searchParams.get("last");
    const rest = body.tags.sort().filter((t) => last === null || t > last);
    const tags = rest.slice(0, n);
    const headers: { [k: string]: string } = {};
    if (rest.length > n) headers.link = `<${url.pathname}?n=${n}&last=${encodeURIComponent(tags.at(-1)!)}>; rel="next"`;
    return Response.json({ name: body.name, tags }, { headers });
  }

  async function forward(req: Request, url: URL): Promise<Response> {
    const headers = new Headers(req.headers);
    for (const h of HOP) headers.delete(h);
    if (noRange) headers.delete("range");
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(await req.arrayBuffer());
    const res = await fetch(`${upstream}${url.pathname}${url.search}`, { method: req.method, headers, body, redirect: "manual" });
    const out = new Headers(res.headers);
    for (const h of HOP) if (h !== "content-length") out.delete(h);
    const isBlob = req.method === "GET" && BLOB.test(url.pathname) && (res.status === 200 || res.status === 206);
    const cut = drop && dropped.test(url.pathname);
    const flip = corrupt && corrupted.test(url.pathname);
    if (!isBlob || (!cut && !flip)) return new Response(res.body, { status: res.status, headers: out });
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (flip) bytes[bytes.length >> 1]! ^= 0xff;
    if (!cut) return new Response(bytes, { status: res.status, headers: out });
    const how = drop;
    drop = false;
    // Half the body under the full Content-Length, then the connection ends.
    const half = bytes.subarray(0, bytes.length >> 1);
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(half);
        if (how === "short") ctl.close();
      },
      async pull(ctl) {
        // Time for the client to read the half (the range it resumes from must not be 0).
        await Bun.sleep(200);
        ctl.error(new Error("fault proxy: resetting the connection on purpose"));
      },
    });
    return new Response(stream, { status: res.status, headers: out });
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const record = (res: Response) => {
        seen.push({ method: req.method, path: url.pathname, range: req.headers.get("range"), status: res.status });
        return res;
      };
      if (url.pathname === "/v2/") return record(await forward(req, url));
      if (fail && failing.test(url.pathname)) return record(error(500, "UNKNOWN", "fault proxy: internal error"));
      if (throttle > 0 && throttled.test(`${req.method} ${url.pathname}`)) {
        throttle--;
        return record(error(429, "TOOMANYREQUESTS", "fault proxy: slow down", { "retry-after": "1" }));
      }
      if (paging && url.pathname.endsWith("/tags/list")) return record(await page(req, url));
      return record(await forward(req, url));
    },
  });

  return {
    host: `127.0.0.1:${server.port}`,
    seen,
    dropBlobOnce: (how = "reset", match = /./) => void ((drop = how), (dropped = match)),
    tooMany: (n, match = /./) => void ((throttle = n), (throttled = match)),
    failForever: (on, match = /./) => void ((fail = on), (failing = match)),
    corruptBlobs: (on, match = /./) => void ((corrupt = on), (corrupted = match)),
    pageTags: (on) => void (paging = on),
    ignoreRange: (on) => void (noRange = on),
    stop: () => void server.stop(true),
  };
}
