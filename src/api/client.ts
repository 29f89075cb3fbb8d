/**
 * The remote caller: each operation as the HTTP request the server's route expects
 * (see operations.ts), errors turned back into the same StrataError (wire.ts), so the
 * CLI prints the same output and exits with the same code as in direct mode.
 */
import { failed, usage } from "../core/errors.ts";
import { toQuery } from "./fields.ts";
import type { Caller } from "./invoke.ts";
import { defined } from "./invoke.ts";
import { type Extra, type OperationName, pathParams, routes } from "./operations.ts";
import { fromErrorBody, isErrorBody, ndjsonItems } from "./wire.ts";

export interface Address {
  /** Base URL; for a unix socket, `http://localhost`. */
  base: string;
  unix?: string;
  token?: string;
}

/** `unix:/path` or `http://host:port`. */
export function parseAddress(addr: string, token?: string): Address {
  if (addr.startsWith("unix:")) return { base: "http://localhost", unix: addr.slice(5), token };
  if (/^https?:\/\/[^/]+\/?$/.test(addr)) return { base: addr.replace(/\/$/, ""), token };
  throw usage(`invalid address "${addr}" (use unix:/path or http://host:port)`);
}

/** The request for an operation: path parameters, then the query or a JSON body. */
export function request(name: OperationName, raw: object, a: Address, body?: AsyncIterable<Uint8Array>): [string, RequestInit] {
  const o = routes[name];
  const rest = defined(raw);
  let path = o.path;
  for (const p of pathParams(o.path)) {
    path = path.replace(`:${p}`, encodeURIComponent(String(rest[p] ?? "")));
    delete rest[p];
  }
  const headers: { [k: string]: string } = {};
  if (a.token) headers.authorization = `Bearer ${a.token}`;
  if (o.method === "GET" || o.method === "DELETE" || o.blobBody) {
    const qs = toQuery(rest).toString();
    const url = `${a.base}${path}${qs ? `?${qs}` : ""}`;
    if (!body) return [url, { method: o.method, headers }];
    headers["content-type"] = "application/octet-stream";
    // `duplex` is what fetch needs to stream a request body; RequestInit's type lacks it.
    return [url, { method: o.method, headers, body: body as unknown as BodyInit, duplex: "half" } as RequestInit];
  }
  headers["content-type"] = "application/json";
  return [`${a.base}${path}`, { method: o.method, headers, body: JSON.stringify(rest) }];
}

async function failure(res: Response) {
  let body: unknown;
  try {
    body = await res.json();
  } catch { /* not JSON */ }
  return isErrorBody(body) ? fromErrorBody(body) : failed(`the server answered ${res.status}`);
}

export function remote(a: Address, fetchFn: typeof fetch): Caller {
  const send = async (name: OperationName, raw: object, extra: Extra = {}) => {
    const [url, init] = request(name, raw, a, extra.body);
    let res: Response;
    try {
      res = await fetchFn(url, init);
    } catch (err) {
      throw failed(`cannot reach strata serve at ${a.unix ? `unix:${a.unix}` : a.base}: ${(err as Error).message}`);
    }
    if (!res.ok) throw await failure(res);
    return res;
  };
  return {
    // The server answers with the operation's own output: JSON decoding is where the
    // table's types are taken on trust, as in any typed client.
    call: async (name, raw, extra) => (await send(name, raw, extra)).json(),
    async *stream(name, raw) {
      const res = await send(name, raw);
      yield* ndjsonItems(res.body as unknown as AsyncIterable<Uint8Array>) as AsyncIterable<never>;
    },
    close: async () => {},
    remote: true,
  };
}
