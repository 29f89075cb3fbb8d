/**
 * Extraction's helper thread on Bun (see write-worker.ts). It is handed the layer's tar
 * stream chunk by chunk, each copied once into a buffer of its own (handing zlib's
 * output over broke gunzip, which went on using the buffer): the thread hashes each
 * chunk (the diffID), writes from it the file data that lies in it, and hands the
 * buffer back. Operations travel as numbers, cheaper to send than objects with maps
 * and bigints. A small layer never starts the thread: until 4 MiB have passed or a
 * file is handed over, chunks are kept and hashed here at the end. The thread may fall
 * behind by 64 MiB or 512 open files before `ready()` asks for a wait, and it holds at
 * most 16 of the buffers: fresh memory costs a page fault per 4 KiB, and a layer that
 * inflates 50:1 made ~70 fresh buffers before any came back.
 */
import type { FileMeta, FileWriter } from "../../layer/files.ts";
import { fromWire, startWorker, type WireError } from "../../platform/worker.ts";
import { DATA, END, ABANDON, COPY, WIDTH } from "./write-ops.ts";

const INLINE = 4 << 20;
const BUFFER = 256 << 10;
const POOL = 32;
const BEHIND = 64 << 20;
const OPEN = 512;
const LENT = 16;

type Final = { blocks: number; hex: string };

export function fileWriter(): FileWriter {
  let w: Worker | undefined;
  const pool: Uint8Array[] = [];
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  // Operations for the next chunk: records of WIDTH numbers; data parts and xattrs beside.
  let ops = new Float64Array(64 * WIDTH);
  let n = 0;
  let parts: [op: number, part: Uint8Array][] = [];
  let xattrs: [op: number, Map<string, Uint8Array>][] = [];
  let behind = 0;
  let open = 0;
  /** Buffers at the thread, to come back to the pool. */
  let lent = 0;
  let caughtUp: (() => void) | undefined;
  let ended: ((r: { blocks: number; hex?: string; error?: WireError }) => void) | undefined;
  let result: Promise<Final> | undefined;
  let broken: Error | undefined;

  const wake = () => {
    const f = caughtUp;
    caughtUp = undefined;
    f?.();
  };

  const thread = (): Worker => {
    if (w) return w;
    w = startWorker("runtime/bun/write-worker.ts");
    w.onmessage = (ev: MessageEvent) => {
      const m = ev.data as { bytes?: number; buf?: Uint8Array; closed?: number; blocks?: number; hex?: string; error?: WireError };
      if (m.bytes !== undefined) {
        if (m.buf) {
          lent--;
          if (pool.length < POOL) pool.push(new Uint8Array(m.buf.buffer));
        }
        behind -= m.bytes;
        open -= m.closed!;
        if (behind < BEHIND / 2 && open < OPEN / 2 && !starved()) wake();
      } else ended?.({ blocks: m.blocks!, hex: m.hex, error: m.error });
    };
    w.onerror = (ev: ErrorEvent) => {
      broken = new Error(`extraction thread failed: ${ev.message}`);
      wake();
      ended?.({ blocks: 0, error: { message: broken.message } });
    };
    const earlier = held;
    held = [];
    heldBytes = 0;
    for (const c of earlier) send(c);
    return w;
  };

  /** The next buffer would be fresh memory, though the thread has plenty to give back. */
  const starved = () => pool.length === 0 && lent >= LENT;

  const record = (kind: number, fd: number): number => {
    if ((n + 1) * WIDTH > ops.length) {
      const bigger = new Float64Array(ops.length * 2);
      bigger.set(ops);
      ops = bigger;
    }
    const at = n * WIDTH;
    ops[at] = kind;
    ops[at + 1] = fd;
    n++;
    return at;
  };

  /** Posts a chunk (or none) with the operations gathered for it. */
  function send(chunk?: Uint8Array) {
    const t = thread();
    let copies: Uint8Array[] | undefined;
    for (const [at, part] of parts) {
      if (chunk && part.buffer === chunk.buffer) ops[at + 2] = part.byteOffset - chunk.byteOffset;
      else {
        // Not inside the chunk handed over (no caller does this): sent as a copy.
        ops[at] = COPY;
        ops[at + 2] = (copies ??= []).push(part.slice()) - 1;
      }
    }
    const list = ops.slice(0, n * WIDTH);
    const transfer: Transferable[] = [list.buffer];
    if (chunk) transfer.push(chunk.buffer as ArrayBuffer);
    t.postMessage({ buf: chunk, ops: list, xattrs: xattrs.length ? xattrs : undefined, copies }, transfer);
    behind += chunk?.length ?? 0;
    if (chunk) lent++;
    n = 0;
    parts = [];
    xattrs = [];
  }

  const final = (): Promise<Final> => (result ??= (async () => {
    if (!w && n === 0) {
      const h = new Bun.CryptoHasher("sha256");
      for (const c of held) h.update(c);
      held = [];
      return { blocks: 0, hex: h.digest("hex") };
    }
    if (n > 0) send();
    const done = new Promise<{ blocks: number; hex?: string; error?: WireError }>((r) => (ended = r));
    if (broken) ended!({ blocks: 0, error: { message: broken.message } });
    else w!.postMessage({ end: true });
    try {
      const { blocks, hex, error } = await done;
      if (error) throw fromWire(error);
      return { blocks, hex: hex! };
    } finally {
      w!.terminate();
    }
  })());

  return {
    copy(chunk) {
      let buf = pool.pop();
      if (!buf || buf.length < chunk.length) buf = new Uint8Array(Math.max(BUFFER, chunk.length));
      buf.set(chunk);
      return buf.subarray(0, chunk.length);
    },
    fill(write) {
      const buf = pool.pop() ?? new Uint8Array(BUFFER);
      const n = write(buf);
      if (!n) pool.push(buf);
      return buf.subarray(0, n);
    },
    update(chunk) {
      if (!w && n === 0 && heldBytes + chunk.length < INLINE) {
        held.push(chunk);
        heldBytes += chunk.length;
        return;
      }
      send(chunk);
    },
    data(fd, part) {
      const at = record(DATA, fd);
      ops[at + 3] = part.length;
      parts.push([at, part]);
    },
    end(fd, meta: FileMeta | null) {
      open++;
      if (!meta) return void record(ABANDON, fd);
      const at = record(END, fd);
      ops[at + 2] = meta.uid;
      ops[at + 3] = meta.gid;
      ops[at + 4] = meta.mode;
      // Nanoseconds since 1970 do not fit a double: seconds and the rest apart.
      ops[at + 5] = Number(meta.mtimeNs / 1_000_000_000n);
      ops[at + 6] = Number(meta.mtimeNs % 1_000_000_000n);
      ops[at + 7] = meta.chown ? 1 : 0;
      if (meta.xattrs.size) xattrs.push([at, meta.xattrs]);
    },
    ready() {
      if (broken || (behind < BEHIND && open < OPEN && !starved())) return undefined;
      return new Promise((resolve) => (caughtUp = resolve));
    },
    async digest() {
      return `sha256:${(await final()).hex}`;
    },
    abort() {
      // The extraction that owns this writer finishes it (Applier.abort), closing its files.
    },
    async finish() {
      return (await final()).blocks;
    },
  };
}
