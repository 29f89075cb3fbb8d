/**
 * SHA-256 of a stream on another thread. Import and export hash every byte of a layer
 * (its diffID, and the blob's digest) while this thread reads, parses and writes files;
 * hashing 100 MB here took ~60 ms of it. Bytes are copied into 1 MiB batches and handed
 * over, and the thread hands the batches back to be filled again; a stream that ends
 * under 4 MiB is hashed here, where a thread would cost more.
 * One thread serves every stream of the process and stops when none is left.
 */
import { hasher } from "./hash.ts";
import { startWorker } from "./worker.ts";

const BATCH = 1 << 20;
const INLINE = 4 << 20;
/** Bytes handed over and not hashed yet, above which `ready()` asks the caller to wait. */
const BEHIND = 64 << 20;

let worker: Worker | undefined;
let ids = 0;
const streams = new Map<number, Sha256>();
/** Batches the thread has handed back, to be filled again. */
const pool: Uint8Array[] = [];
const batch = (): Uint8Array => pool.pop() ?? new Uint8Array(BATCH);

function thread(): Worker {
  if (worker) return worker;
  const w = startWorker("platform/sha256-worker.ts");
  w.onmessage = (ev: MessageEvent) => {
    const m = ev.data as { id: number; done?: Uint8Array; hex?: string };
    if (m.done?.length === BATCH && pool.length < 16) pool.push(m.done);
    streams.get(m.id)?.answer(m);
  };
  w.onerror = (ev: ErrorEvent) => {
    for (const s of streams.values()) s.answer({ error: new Error(`hashing thread failed: ${ev.message}`) });
  };
  return (worker = w);
}

function leave(id: number): void {
  streams.delete(id);
  if (streams.size) return;
  worker?.terminate();
  worker = undefined;
  pool.length = 0;
}

export class Sha256 {
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private id = -1;
  private batch: Uint8Array = new Uint8Array(0);
  private used = 0;
  private behind = 0;
  private finished = false;
  private caughtUp: (() => void) | undefined;
  private result: { resolve: (hex: string) => void; reject: (err: Error) => void } | undefined;
  private failed: Error | undefined;

  /** Adds bytes; the chunk is copied, so the caller may reuse it at once. */
  update(chunk: Uint8Array): void {
    if (this.id >= 0) return this.append(chunk);
    this.held.push(new Uint8Array(chunk)); // a copy: Buffer's slice() would be a view
    this.heldBytes += chunk.length;
    if (this.heldBytes < INLINE) return;
    this.id = ids++;
    streams.set(this.id, this);
    for (const c of this.held) this.post(c);
    this.held = [];
    this.batch = batch();
  }

  /** Resolves when the thread has caught up enough; undefined when there is no need to wait. */
  ready(): Promise<void> | undefined {
    if (this.behind < BEHIND || this.failed) return undefined;
    return new Promise((resolve) => (this.caughtUp = resolve));
  }

  /** `sha256:<hex>` of everything added. */
  async digest(): Promise<string> {
    this.finished = true;
    if (this.id < 0) {
      const h = hasher("sha256");
      for (const c of this.held) h.update(c);
      this.held = [];
      return `sha256:${h.hex()}`;
    }
    if (this.used) this.post(this.batch.slice(0, this.used));
    if (this.batch.length === BATCH) pool.push(this.batch);
    this.batch = new Uint8Array(0);
    const hex = new Promise<string>((resolve, reject) => (this.result = { resolve, reject }));
    if (this.failed) this.result!.reject(this.failed);
    else thread().postMessage({ id: this.id });
    try {
      return `sha256:${await hex}`;
    } finally {
      leave(this.id);
    }
  }

  /** Ends a stream that will not be digested (a failed import or export). */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.held = [];
    if (this.id < 0) return;
    thread().postMessage({ id: this.id });
    leave(this.id);
  }

  /** Called with the thread's messages for this stream. */
  answer(m: { done?: Uint8Array; hex?: string; error?: Error }): void {
    if (m.done !== undefined) {
      this.behind -= m.done.length;
      if (this.behind < BEHIND / 2) this.wake();
    } else if (m.hex !== undefined) this.result?.resolve(m.hex);
    else if (m.error) {
      this.failed = m.error;
      this.result?.reject(m.error);
      this.wake();
    }
  }

  private wake(): void {
    const f = this.caughtUp;
    this.caughtUp = undefined;
    f?.();
  }

  private append(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, BATCH - this.used);
      this.batch.set(chunk.subarray(at, at + n), this.used);
      this.used += n;
      at += n;
      if (this.used === BATCH) {
        this.post(this.batch);
        this.batch = batch();
        this.used = 0;
      }
    }
  }

  /** Hands a chunk this object owns to the thread, without a copy. */
  private post(c: Uint8Array): void {
    this.behind += c.length;
    thread().postMessage({ id: this.id, chunk: c }, [c.buffer as ArrayBuffer]);
  }
}
