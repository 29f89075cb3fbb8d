/**
 * Blob downloads: one GET streamed through a `Verifier`, so the consumer's last read
 * throws if the sha256 or size is wrong, before it could take the bytes for good.
 *
 * A connection that drops (or a body that ends short) is resumed with `Range: bytes=N-`
 * after a backoff, a bounded number of times. A registry that answers the ranged GET
 * with 200 (no range support) sends everything again; the first N bytes are then
 * skipped, not re-hashed, so the digest checked is the digest of exactly the bytes the
 * consumer got, and a mismatch between the two answers shows as *integrity*.
 *
 * The stream holds a transfer slot from before its first request until it ends, fails
 * or is returned.
 */
import { invalid, missingBlob, remoteRefused, StrataError } from "../core/errors.ts";
import { pullScope } from "./auth.ts";
import { Verifier } from "./digest.ts";
import type { Limiter } from "./limit.ts";
import { reason } from "./refusal.ts";
import { backoffMs } from "./retry.ts";
import type { Session } from "./session.ts";
import type { Descriptor, FetchOptions } from "./types.ts";

/** GET of the blob from `offset` on: 200, or 206 starting exactly there. */
async function request(session: Session, name: string, blob: Descriptor, offset: number, what: string): Promise<Response> {
  const target = `/v2/${name}/blobs/${blob.digest}`;
  const headers: { [k: string]: string } = offset ? { range: `bytes=${offset}-` } : {};
  const res = await session.send({ method: "GET", target, scopes: [pullScope(name)], headers });
  if (res.status === 200) return res;
  if (res.status === 206 && offset > 0) {
    const start = /^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "")?.[1];
    if (Number(start) === offset) return res;
    await res.body?.cancel();
    throw remoteRefused(`${what}: asked for bytes from ${offset}, got ${res.headers.get("content-range") ?? "no Content-Range"}`);
  }
  if (res.status === 404) {
    await res.body?.cancel();
    throw missingBlob(`${what} is not in the registry`);
  }
  throw await session.refused("GET", target, res);
}

export async function openBlob(
  session: Session,
  slots: Limiter,
  name: string,
  blob: Descriptor,
  opts: FetchOptions = {},
): Promise<AsyncIterable<Uint8Array>> {
  const what = `blob ${blob.digest} of ${session.host}/${name}`;
  const verifier = new Verifier(blob, what);
  const release = await slots.acquire();
  let res: Response | undefined;
  try {
    if (opts.resume) {
      for await (const chunk of opts.resume.head) verifier.update(chunk);
      if (verifier.count !== opts.resume.offset) throw invalid(`${what}: resume head has ${verifier.count} bytes, not ${opts.resume.offset}`);
    }
    if (verifier.count < blob.size) res = await request(session, name, blob, verifier.count, what);
  } catch (err) {
    release();
    throw err;
  }

  /** One response's body into the verifier; a message when the connection broke off. */
  async function* read(from: Response): AsyncGenerator<Uint8Array, string | undefined> {
    // A 200 to a ranged GET starts over: skip what the consumer already has.
    let skip = from.status === 200 ? verifier.count : 0;
    const reader = from.body!.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        let chunk = value;
        if (skip) {
          const n = Math.min(skip, chunk.length);
          skip -= n;
          chunk = chunk.subarray(n);
          if (!chunk.length) continue;
        }
        verifier.update(chunk);
        opts.progress?.(verifier.count);
        yield chunk;
      }
    } catch (err) {
      if (err instanceof StrataError) throw err;
      return `${what}: ${reason(err, session.secrets())} at byte ${verifier.count}`;
    } finally {
      void reader.cancel().catch(() => {});
    }
    return verifier.count < blob.size ? `${what}: the body ended at byte ${verifier.count} of ${blob.size}` : undefined;
  }

  async function* body(): AsyncGenerator<Uint8Array> {
    const policy = session.retry;
    for (let failures = 1; res; failures++) {
      const broke = yield* read(res);
      if (broke === undefined) break;
      if (failures >= policy.attempts) throw remoteRefused(`${broke} (gave up after ${failures} attempts)`);
      await policy.sleep(backoffMs(policy, failures));
      res = await request(session, name, blob, verifier.count, what);
    }
    verifier.finish();
  }

  const gen = body();
  const done = () => {
    release();
    void res?.body?.cancel().catch(() => {});
  };
  // A generator returned before its first `next` skips its `finally`: give the slot back here.
  const iterator: AsyncIterator<Uint8Array> = {
    next: () => gen.next().then((r) => (r.done && done(), r), (err) => (done(), Promise.reject(err))),
    return: (value?: unknown) => gen.return(value as undefined).finally(done),
  };
  return { [Symbol.asyncIterator]: () => iterator };
}
