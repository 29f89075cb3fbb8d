/**
 * Blob uploads (distribution-spec "pushing blobs"). A blob the repository has is never
 * sent again (HEAD first), one in another repository of the registry is mounted, and
 * the rest is sent: small blobs streamed in one `PUT ?digest=`, large ones as `PATCH`
 * chunks with `Content-Range` and a closing `PUT`. Each answer's `Location` (relative or
 * absolute) is where the next step goes.
 *
 * The steps of an upload are not safe to repeat one by one (a PATCH that broke off has
 * moved the upload by an unknown amount), so a failed upload is cancelled and started
 * over from `open()`, with backoff, a bounded number of times; before starting over, a
 * HEAD checks whether the last attempt landed after all. The bytes are hashed on the way
 * and the closing PUT is only sent whole when they are the descriptor's.
 *
 * A blob in a local file the runtime can send as it is (`FileBody`: Bun hands it to the
 * kernel) is read once to check it, beside the POST that opens the upload, and then sent
 * from the file, in one PUT or in PATCHes of ranges of it. Streamed through this thread,
 * a 7.5 MB layer cost a push ~80 ms of CPU (copies, and fresh buffers' page faults).
 */
import { guarded, invalid, remoteRefused } from "../core/errors.ts";
import { fileChunks } from "../platform/file-chunks.ts";
import { pullScope, pushScope } from "./auth.ts";
import { Verifier } from "./digest.ts";
import type { Limiter } from "./limit.ts";
import { describeRequest, readError, statusLine } from "./refusal.ts";
import { retrying, Transient } from "./retry.ts";
import type { Session } from "./session.ts";
import type { Descriptor, MountResult, Progress, PushAction, PushOptions, UploadSession } from "./types.ts";

export interface UploadSizes {
  /** Blobs up to this size go in one PUT. */
  monolithicMax: number;
  /** The size of each PATCH of a larger blob. */
  chunkSize: number;
}

export const defaultSizes: UploadSizes = { monolithicMax: 8 << 20, chunkSize: 8 << 20 };

const OCTETS = { "content-type": "application/octet-stream" };

/** A local file, or a range of it, as a request body the runtime sends as it is. */
export type FileBody = (path: string, range?: { start: number; end: number }) => BodyInit;

/** Whether a local file holds the blob's bytes: read once, into one buffer (see file-chunks.ts). */
async function check(file: string, blob: Descriptor): Promise<void> {
  const verifier = new Verifier(blob, `blob ${blob.digest} in ${file}`);
  for await (const chunk of guarded(fileChunks(file, undefined, { reused: true }), `cannot read blob ${blob.digest}`, "missing_blob")) {
    verifier.update(chunk);
  }
  verifier.finish();
}

export async function hasBlob(session: Session, name: string, digest: string): Promise<boolean> {
  const target = `/v2/${name}/blobs/${digest}`;
  const res = await session.send({ method: "HEAD", target, scopes: [pullScope(name)] });
  await res.body?.cancel();
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  // A HEAD refusal has no body to say why; the same GET's error body does.
  const why = await session.once({ method: "GET", target, scopes: [pullScope(name)] }).catch(() => undefined);
  if (why?.status === res.status) throw await session.refused("HEAD", target, why);
  await why?.body?.cancel();
  throw remoteRefused(`${describeRequest("HEAD", await session.url(target))}: HTTP ${res.status}`);
}

function uploadSession(session: Session, name: string, location: URL): UploadSession {
  return {
    repository: `${session.host}/${name}`,
    location: location.href,
    cancel: async () => {
      // Best effort: an upload left behind is purged by the registry in time.
      const res = await session.once({ method: "DELETE", target: location, scopes: [pushScope(name)] }).catch(() => undefined);
      await res?.body?.cancel();
    },
  };
}

/** Where the registry says the upload continues. */
async function next(method: string, res: Response, at: URL): Promise<URL> {
  const location = res.headers.get("location");
  await res.body?.cancel();
  if (!location) throw remoteRefused(`${describeRequest(method, at)}: the registry gave no Location`);
  return new URL(location, at);
}

/** A refusal of an upload step; one that a fresh upload may get past is `Transient`. */
async function stepFailed(session: Session, method: string, at: URL, res: Response): Promise<Error> {
  // 404: the upload expired or was purged; 416: the registry lost count of it.
  if (res.status === 404 || res.status === 416) {
    return new Transient(statusLine(describeRequest(method, at), res.status, await readError(res), session.secrets()));
  }
  return session.refused(method, at, res);
}

export async function mountBlob(session: Session, name: string, from: string, digest: string): Promise<MountResult> {
  const target = `/v2/${name}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
  const res = await session.send({ method: "POST", target, scopes: [pushScope(name), pullScope(from)] });
  const at = await session.url(target);
  if (res.status === 201) {
    await res.body?.cancel();
    return { mounted: true };
  }
  if (res.status === 202) return { mounted: false, session: uploadSession(session, name, await next("POST", res, at)) };
  throw await session.refused("POST", at, res);
}

async function start(session: Session, name: string): Promise<URL> {
  const target = `/v2/${name}/blobs/uploads/`;
  const res = await session.once({ method: "POST", target, scopes: [pushScope(name)] });
  const at = await session.url(target);
  if (res.status !== 202) throw await stepFailed(session, "POST", at, res);
  return next("POST", res, at);
}

/** The stream in pieces of exactly `size` bytes (the last one shorter). */
async function* pieces(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  let buf = new Uint8Array(size);
  let used = 0;
  for await (let chunk of source) {
    while (chunk.length) {
      const n = Math.min(size - used, chunk.length);
      buf.set(chunk.subarray(0, n), used);
      used += n;
      chunk = chunk.subarray(n);
      if (used === size) {
        yield buf;
        buf = new Uint8Array(size);
        used = 0;
      }
    }
  }
  if (used) yield buf.subarray(0, used);
}

const withDigest = (at: URL, digest: string) => {
  const url = new URL(at);
  url.searchParams.set("digest", digest);
  return url;
};

/**
 * A blob as a request body, each chunk hashed as the request takes it. The last chunk is
 * held back until the digest and size check out, so a registry never has all of a blob
 * whose bytes are wrong: the request fails short instead. The body keeps its own failure
 * (a wrong byte, a read error), since a runtime may say only that the request failed
 * (Deno does); `end()` stops a runtime that reads on after the answer (Deno after a 401).
 */
class VerifiedBody {
  readonly stream: ReadableStream<Uint8Array>;
  failure: unknown;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>, verifier: Verifier, progress?: Progress) {
    const chunks = source[Symbol.asyncIterator]();
    let held: Uint8Array | undefined;
    const next = async (out: ReadableStreamDefaultController<Uint8Array>) => {
      for (;;) {
        const got = await chunks.next();
        if (got.done) {
          verifier.finish();
          if (held) out.enqueue(held);
          progress?.(verifier.count);
          return out.close();
        }
        verifier.update(got.value);
        const ready = held;
        held = got.value;
        if (ready) {
          out.enqueue(ready);
          return progress?.(verifier.count - held.length);
        }
      }
    };
    this.stream = new ReadableStream<Uint8Array>({
      pull: async (out) => {
        try {
          if (!this.ended) return await next(out);
          await chunks.return?.();
          out.close();
        } catch (err) {
          this.failure ??= err;
          // An errored stream is not cancelled: the file is closed here.
          await chunks.return?.().catch(() => {});
          throw err;
        }
      },
      cancel: async () => {
        await chunks.return?.();
      },
    });
  }

  end(): void {
    this.ended = true;
  }
}

/** What an upload sends: a stream from `open()`, or a local file once `checked` says it holds the blob. */
type Source = { open: () => AsyncIterable<Uint8Array> } | { file: string; body: FileBody; checked: Promise<void> };

/** One upload from the first byte, through the upload at `at`. */
async function send(session: Session, name: string, blob: Descriptor, source: Source, sizes: UploadSizes, at: URL, progress?: Progress): Promise<void> {
  const what = `blob ${blob.digest} for ${session.host}/${name}`;
  const scopes = [pushScope(name)];
  const close = async (body: BodyInit, length: number) => {
    const headers = { ...OCTETS, "content-length": String(length) };
    const res = await session.once({ method: "PUT", target: withDigest(at, blob.digest), scopes, headers, body });
    if (res.status !== 201) throw await stepFailed(session, "PUT", at, res);
    await res.body?.cancel();
  };
  const patch = async (body: BodyInit, start: number, length: number) => {
    const headers = { ...OCTETS, "content-range": `${start}-${start + length - 1}` };
    const res = await session.once({ method: "PATCH", target: at, scopes, headers, body });
    if (res.status !== 202) throw await stepFailed(session, "PATCH", at, res);
    at = await next("PATCH", res, at);
    progress?.(start + length);
  };
  if ("file" in source) {
    await source.checked;
    if (blob.size <= sizes.monolithicMax) await close(source.body(source.file), blob.size);
    else {
      for (let sent = 0; sent < blob.size; sent += sizes.chunkSize) {
        const length = Math.min(sizes.chunkSize, blob.size - sent);
        await patch(source.body(source.file, { start: sent, end: sent + length - 1 }), sent, length);
      }
      await close(new Uint8Array(0), 0);
    }
    return progress?.(blob.size);
  }
  const verifier = new Verifier(blob, what);
  if (blob.size <= sizes.monolithicMax) {
    // Reading and hashing overlap the registry's writing: the blob streams in one PUT.
    const body = new VerifiedBody(source.open(), verifier, progress);
    try {
      return await close(body.stream, blob.size);
    } catch (err) {
      throw body.failure ?? err;
    } finally {
      body.end();
    }
  }
  let sent = 0;
  for await (const chunk of pieces(source.open(), sizes.chunkSize)) {
    verifier.update(chunk);
    await patch(chunk, sent, chunk.length);
    sent += chunk.length;
  }
  verifier.finish();
  await close(new Uint8Array(0), 0);
}

export async function pushBlob(
  session: Session,
  slots: Limiter,
  name: string,
  blob: Descriptor,
  open: () => AsyncIterable<Uint8Array>,
  opts: PushOptions,
  sizes: UploadSizes,
  fileBody?: FileBody,
): Promise<PushAction> {
  let given = opts.session;
  if (given && given.repository !== `${session.host}/${name}`) throw invalid(`an upload to ${given.repository} cannot carry a blob for ${session.host}/${name}`);
  if (await hasBlob(session, name, blob.digest)) {
    await given?.cancel();
    return "exists";
  }
  for (const from of opts.mountFrom ?? []) {
    if (from === name) continue;
    const mount = await mountBlob(session, name, from, blob.digest);
    if (mount.mounted) {
      await given?.cancel();
      return "mounted";
    }
    await given?.cancel();
    given = mount.session;
  }
  const release = await slots.acquire();
  let source: Source = { open };
  if (opts.file && fileBody) {
    // Checked once, beside the first POST; a file that is not the blob fails the push at once.
    const checked = check(opts.file, blob);
    checked.catch(() => {});
    source = { file: opts.file, body: fileBody, checked };
  }
  try {
    return await retrying<PushAction>(session.retry, async (attempt) => {
      if (attempt > 1 && (await hasBlob(session, name, blob.digest))) return "pushed";
      const at = given ? new URL(given.location) : await start(session, name);
      given = undefined;
      try {
        await send(session, name, blob, source, sizes, at, opts.progress);
      } catch (err) {
        await uploadSession(session, name, at).cancel();
        throw err;
      }
      return "pushed";
    });
  } finally {
    release();
  }
}

