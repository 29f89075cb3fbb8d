/**
 * Extraction's helper thread on Bun (see write-worker.ts). Data is copied into 1 MiB
 * batches, handed over with the operations on it; the thread hands each buffer back.
 * It may fall behind by 64 MiB or 512 open files before `ready()` asks for a wait.
 */
import type { FileMeta, FileWriter } from "../../layer/files.ts";
import { fromWire, startWorker, type WireError } from "../worker.ts";

const BATCH = 1 << 20;
const MAX_OPS = 128;
const BEHIND = 64 << 20;
const OPEN = 512;

type Op = { fd: number; at: number; len: number } | { fd: number; meta: FileMeta | null };

export function fileWriter(): FileWriter {
  const w = startWorker("runtime/bun/write-worker.ts");
  const pool: Uint8Array[] = [];
  let buf: Uint8Array = new Uint8Array(BATCH);
  let used = 0;
  let ops: Op[] = [];
  let behind = 0;
  let open = 0;
  let caughtUp: (() => void) | undefined;
  let ended: ((r: { blocks: number; error?: WireError }) => void) | undefined;
  let broken: Error | undefined;

  const wake = () => {
    const f = caughtUp;
    caughtUp = undefined;
    f?.();
  };
  w.onmessage = (ev: MessageEvent) => {
    const m = ev.data as { buf?: Uint8Array; closed?: number; blocks?: number; error?: WireError };
    if (m.buf) {
      behind -= m.buf.length;
      open -= m.closed!;
      pool.push(m.buf);
      if (behind < BEHIND / 2 && open < OPEN / 2) wake();
    } else ended?.({ blocks: m.blocks!, error: m.error });
  };
  w.onerror = (ev: ErrorEvent) => {
    broken = new Error(`extraction thread failed: ${ev.message}`);
    wake();
    ended?.({ blocks: 0, error: { message: broken.message } });
  };

  const flush = () => {
    if (!ops.length) return;
    w.postMessage({ buf, ops }, [buf.buffer as ArrayBuffer]);
    behind += buf.length;
    buf = pool.pop() ?? new Uint8Array(BATCH);
    used = 0;
    ops = [];
  };
  const push = (op: Op) => {
    ops.push(op);
    if (ops.length >= MAX_OPS) flush();
  };

  return {
    data(fd, chunk) {
      let at = 0;
      while (at < chunk.length) {
        if (used === BATCH) flush();
        const n = Math.min(chunk.length - at, BATCH - used);
        buf.set(chunk.subarray(at, at + n), used);
        push({ fd, at: used, len: n });
        used += n;
        at += n;
      }
    },
    end(fd, meta) {
      open++;
      push({ fd, meta });
    },
    ready() {
      if (broken || (behind < BEHIND && open < OPEN)) return undefined;
      flush();
      return new Promise((resolve) => (caughtUp = resolve));
    },
    async finish() {
      flush();
      const result = new Promise<{ blocks: number; error?: WireError }>((r) => (ended = r));
      if (broken) ended!({ blocks: 0, error: { message: broken.message } });
      else w.postMessage({});
      try {
        const { blocks, error } = await result;
        if (error) throw fromWire(error);
        return blocks;
      } finally {
        w.terminate();
      }
    },
  };
}
