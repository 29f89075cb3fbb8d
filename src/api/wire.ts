/**
 * The wire formats, in one place: the error body `{"error": {code, message}}` and NDJSON
 * streams (one JSON value a line, an error as a line of its own). The HTTP app, its
 * client and the daemon's helper process all build and parse them here.
 */
import { type ErrorCode, isErrorCode, StrataError } from "../core/errors.ts";

/** Codes only the HTTP layer uses, besides SPEC §4's. */
export type WireCode = ErrorCode | "unauthenticated" | "too_large" | "bad_range";

export interface ErrorBody {
  error: { code: WireCode; message: string; issues?: string[] };
}

export const errorBody = (code: WireCode, message: string, issues?: string[]): ErrorBody => ({
  error: issues ? { code, message, issues } : { code, message },
});

/** An error body: an object whose only field is `error`, with a code and a message. */
export function isErrorBody(value: unknown): value is ErrorBody {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const e = (value as { error?: unknown }).error as { code?: unknown; message?: unknown } | undefined;
  return keys.length === 1 && keys[0] === "error" && typeof e === "object" && e !== null && typeof e.code === "string";
}

/** The error an error body stands for; codes this side does not know become `error`. */
export function fromErrorBody(body: ErrorBody): StrataError {
  const { code, message } = body.error;
  if (code === "unauthenticated") return new StrataError("error", `the server wants a token: ${message}`);
  return new StrataError(isErrorCode(code) ? code : "error", String(message ?? code));
}

const encoder = new TextEncoder();

/** One NDJSON line. */
export const ndjsonLine = (value: unknown) => JSON.stringify(value) + "\n";

/**
 * An NDJSON response body from items as they come. The first item is awaited before
 * the body starts, so a failure there is still an ordinary error response; a later
 * failure becomes an error line, which `ndjsonItems` throws on the other side.
 */
export async function ndjsonBody(
  items: AsyncIterable<unknown>,
  onError: (err: unknown) => ErrorBody,
): Promise<ReadableStream<Uint8Array>> {
  const it = items[Symbol.asyncIterator]();
  const first = await it.next();
  return new ReadableStream<Uint8Array>({
    start(ctl) {
      if (first.done) ctl.close();
      else ctl.enqueue(encoder.encode(ndjsonLine(first.value)));
    },
    async pull(ctl) {
      try {
        const next = await it.next();
        if (next.done) return ctl.close();
        ctl.enqueue(encoder.encode(ndjsonLine(next.value)));
      } catch (err) {
        ctl.enqueue(encoder.encode(ndjsonLine(onError(err))));
        ctl.close();
      }
    },
    cancel() {
      void it.return?.();
    },
  });
}

/** The values of an NDJSON stream; an error line is thrown as the error it stands for. */
export async function* ndjsonItems(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of chunks) {
    buf += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const item: unknown = JSON.parse(line);
      if (isErrorBody(item)) throw fromErrorBody(item);
      yield item;
    }
  }
  if (buf.trim()) {
    const item: unknown = JSON.parse(buf);
    if (isErrorBody(item)) throw fromErrorBody(item);
    yield item;
  }
}
