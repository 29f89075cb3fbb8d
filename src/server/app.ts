/**
 * The HTTP app: one route per operation (api/operations.ts), plus /healthz, /metrics
 * and /v1/openapi.json. Input is validated once, by the operation's schema; every
 * error is `{"error": {code, message}}` with the status of SPEC §5.
 */
import { type Context, Hono } from "hono";
import { fromQuery } from "../api/fields.ts";
import { check, defined, run } from "../api/invoke.ts";
import { type OperationName, operations, pathParams, type Route, routes } from "../api/operations.ts";
import type { Service } from "../api/service.ts";
import { errorBody, ndjsonBody } from "../api/wire.ts";
import { codeOf, StrataError, usage } from "../core/errors.ts";
import { tokenChecker } from "./auth.ts";
import { HttpError, statusOf } from "./errors.ts";
import type { Log } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import { openapi } from "./openapi.ts";
import { blobRoutes } from "./blobs.ts";
import type { SendFile } from "../runtime/runtime.ts";

export interface AppDeps {
  svc: Service;
  /** Runs a long operation elsewhere (a child process); absent, it runs here. */
  offload?: (name: OperationName, raw: unknown) => AsyncIterable<unknown>;
  token: string;
  metrics: Metrics;
  log: Log;
  /** Called after every successful change, to schedule automatic GC. */
  changed(): void;
  /** A file as a response body (the runtime's way). */
  sendFile: SendFile;
  /** Records and bytes by state, for /metrics. */
  gauges(): Promise<{ records: { [state: string]: number }; bytes: { [state: string]: number } }>;
}

/** How a request arrived: only TCP needs the token. */
export type Env = { Bindings: { transport: "unix" | "tcp" } };

async function rawInput(c: Context, o: Route): Promise<{ [field: string]: unknown }> {
  const raw: { [field: string]: unknown } = {};
  if (o.method === "GET" || o.method === "DELETE" || o.blobBody) {
    Object.assign(raw, fromQuery(o.schema, c.req.queries()));
  } else {
    const text = await jsonText(c);
    if (text.trim()) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw usage("the request body is not valid JSON");
      }
      if (body === null || typeof body !== "object" || Array.isArray(body)) throw usage("the request body must be a JSON object");
      Object.assign(raw, body);
    }
  }
  for (const name of pathParams(o.path)) raw[name] = c.req.param(name);
  return defined(raw);
}

/** A JSON body larger than this is refused (413) before it is read whole. */
export const maxJsonBody = 1 << 20;

const tooLarge = () => new HttpError(413, "too_large", `the request body is over ${maxJsonBody} bytes`);

/** The body as text, read a chunk at a time and given up on past `maxJsonBody`. */
async function jsonText(c: Context): Promise<string> {
  if (Number(c.req.header("content-length") ?? 0) > maxJsonBody) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxJsonBody) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** NDJSON out as items come; a failure after the first item becomes an error line. */
async function ndjson(items: AsyncIterable<unknown>, log: Log): Promise<Response> {
  const body = await ndjsonBody(items, (err) => {
    log("error", "stream failed", { error: String(err) });
    return errorBody(codeOf(err), String((err as Error).message ?? err));
  });
  return new Response(body, { headers: { "content-type": "application/x-ndjson" } });
}

export function makeApp(d: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  const authorized = tokenChecker(d.token);

  app.use(async (c, next) => {
    const start = performance.now();
    await next();
    const route = c.req.routePath === "/*" ? "unmatched" : c.req.routePath;
    d.metrics.request(route, c.req.method, c.res.status, (performance.now() - start) / 1000);
  });

  app.use(async (c, next) => {
    if (c.req.path === "/healthz" || c.env?.transport !== "tcp") return next();
    if (!authorized(c.req.header("authorization"))) {
      return c.json(errorBody("unauthenticated", "a valid bearer token is required"), 401);
    }
    return next();
  });

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/metrics", async (c) => c.text(d.metrics.render(await d.gauges()), 200, { "content-type": "text/plain; version=0.0.4" }));
  const spec = openapi();
  app.get("/v1/openapi.json", (c) => c.json(spec));

  for (const name of Object.keys(operations) as OperationName[]) {
    const o = routes[name];
    app.on(o.method, o.path, async (c) => {
      const raw = await rawInput(c, o);
      const input = check(name, raw);
      if (o.offload && d.offload) {
        const items = d.offload(name, raw);
        if (o.stream) {
          const res = await ndjson(items, d.log);
          d.changed();
          return res;
        }
        let value: unknown;
        for await (const item of items) value = item;
        return c.json(value as object);
      }
      // A blob body streams through: never read whole into memory.
      const body = o.blobBody && c.req.raw.body && !raw.source
        ? (c.req.raw.body as unknown as AsyncIterable<Uint8Array>)
        : undefined;
      const result = run(d.svc, name, input, { body });
      if (o.stream) {
        const res = await ndjson(result as AsyncIterable<unknown>, d.log);
        d.changed();
        return res;
      }
      const value = await result;
      if (o.method !== "GET") d.changed();
      return c.json(value as object);
    });
  }

  blobRoutes(app, d.svc, d.sendFile, () => d.changed());

  app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((err, c) => {
    if (err instanceof HttpError) {
      return c.json(errorBody(err.code, err.message), err.status, err.status === 416 ? { "content-range": "bytes */*" } : {});
    }
    const code = codeOf(err);
    const status = statusOf[code];
    if (!(err instanceof StrataError)) d.log("error", "request failed", { method: c.req.method, path: c.req.path, error: String(err) });
    const issues = (err as { issues?: string[] }).issues;
    return c.json(errorBody(code, (err as Error).message ?? String(err), issues), status as 400);
  });
  return app;
}
