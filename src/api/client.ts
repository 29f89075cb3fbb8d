/**
 * The remote caller: each operation as the HTTP request the server's route expects
 * (see operations.ts), errors turned back into the same StrataError, so the CLI prints
 * the same output and exits with the same code as in direct mode.
 */
import { type ErrorCode, exitCodes, StrataError } from "../core/errors.ts";
import type { Caller } from "./invoke.ts";
import { defined } from "./invoke.ts";
import { type Extra, type OperationName, operations, pathParams } from "./operations.ts";

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
  throw new StrataError("usage", `invalid address "${addr}" (use unix:/path or http://host:port)`);
}

export function request(
  name: OperationName,
  raw: { [field: string]: unknown },
  a: Address,
  body?: AsyncIterable<Uint8Array>,
): [string, RequestInit] {
  const o = operations[name];
  const rest = { ...defined(raw) };
  let path = o.path;
  for (const p of pathParams(o.path)) {
    path = path.replace(`:${p}`, encodeURIComponent(String(rest[p] ?? "")));
    delete rest[p];
  }
  const headers: { [k: string]: string } = {};
  if (a.token) headers.authorization = `Bearer ${a.token}`;
  if (o.method === "GET" || o.method === "DELETE" || o.blobBody) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(rest)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, String(x));
    const qs = q.toString();
    const url = `${a.base}${path}${qs ? `?${qs}` : ""}`;
    if (body) {
      headers["content-type"] = "application/octet-stream";
      return [url, { method: o.method, headers, body: body as unknown as BodyInit, duplex: "half" } as RequestInit];
    }
    return [url, { method: o.method, headers }];
  }
  headers["content-type"] = "application/json";
  return [`${a.base}${path}`, { method: o.method, headers, body: JSON.stringify(rest) }];
}

async function failure(res: Response): Promise<StrataError> {
  let body: { error?: { code?: string; message?: string } } = {};
  try {
    body = await res.json();
  } catch { /* not JSON */ }
  const code = body.error?.code;
  if (code === "unauthenticated") return new StrataError("error", `the server wants a token: ${body.error?.message}`);
  return new StrataError(
    code && code in exitCodes ? code as ErrorCode : "error",
    body.error?.message ?? `the server answered ${res.status}`,
  );
}

export function remote(a: Address, fetchFn: typeof fetch): Caller {
  const send = async (name: OperationName, raw: { [field: string]: unknown }, extra: Extra = {}) => {
    const [url, init] = request(name, raw, a, extra.body);
    let res: Response;
    try {
      res = await fetchFn(url, init);
    } catch (err) {
      throw new StrataError("error", `cannot reach strata serve at ${a.unix ? `unix:${a.unix}` : a.base}: ${(err as Error).message}`);
    }
    if (!res.ok) throw await failure(res);
    return res;
  };
  return {
    call: async (name, raw, extra) => (await send(name, raw, extra)).json(),
    async *stream(name, raw) {
      const res = await send(name, raw);
      const decoder = new TextDecoder();
      let buf = "";
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          const item = JSON.parse(line);
          if (item?.error) throw new StrataError(item.error.code in exitCodes ? item.error.code : "error", item.error.message);
          yield item;
        }
      }
    },
    close: async () => {},
    remote: true,
  };
}
