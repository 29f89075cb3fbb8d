/**
 * The helper thread of extraction on Bun (see file-writer.ts, write-ops.ts). Each
 * message is one chunk of the layer's tar stream, hashed here for the diffID, with the
 * operations on it in order; it is answered with the chunk's buffer, handed back, and
 * the files closed.
 * `{ end: true }` asks for `{ blocks, hex, error? }`. After a failure nothing more is
 * written, but every file is still closed.
 */
import { closeSync } from "node:fs";
import { finishFile, writeAll } from "../../layer/files.ts";
import { sys } from "./sys.ts";
import { type WireError, toWire } from "../../platform/worker.ts";
import { ABANDON, COPY, DATA, END, WIDTH } from "./write-ops.ts";

declare const self: { onmessage: ((ev: MessageEvent) => void) | null; postMessage(m: unknown, t?: Transferable[]): void };

interface Batch {
  buf?: Uint8Array;
  ops: Float64Array;
  xattrs?: [number, Map<string, Uint8Array>][];
  copies?: Uint8Array[];
  end?: true;
}

const hash = new Bun.CryptoHasher("sha256");
const none = new Map<string, Uint8Array>();
let blocks = 0;
let failed: WireError | undefined;

function run(b: Batch): number {
  const xattrs = b.xattrs ? new Map(b.xattrs) : undefined;
  let closed = 0;
  for (let at = 0; at < b.ops.length; at += WIDTH) {
    const kind = b.ops[at]!, fd = b.ops[at + 1]!;
    try {
      if (kind === DATA || kind === COPY) {
        if (failed) continue;
        if (kind === DATA) writeAll(fd, b.buf!, b.ops[at + 2]!, b.ops[at + 2]! + b.ops[at + 3]!);
        else writeAll(fd, b.copies![b.ops[at + 2]!]!);
        continue;
      }
      closed++;
      if (failed || kind === ABANDON) closeSync(fd);
      else if (kind === END) {
        blocks += finishFile(sys, fd, {
          uid: b.ops[at + 2]!, gid: b.ops[at + 3]!, mode: b.ops[at + 4]!,
          mtimeNs: BigInt(b.ops[at + 5]!) * 1_000_000_000n + BigInt(b.ops[at + 6]!),
          xattrs: xattrs?.get(at) ?? none, chown: b.ops[at + 7] === 1,
        });
      }
    } catch (err) {
      failed ??= toWire(err);
    }
  }
  return closed;
}

self.onmessage = (ev: MessageEvent) => {
  const b = ev.data as Batch;
  if (b.end) return self.postMessage({ blocks, hex: hash.digest("hex"), error: failed });
  if (b.buf) hash.update(b.buf);
  const closed = run(b);
  // The buffer goes back, to be filled again: fresh memory costs page faults.
  if (b.buf) self.postMessage({ bytes: b.buf.length, closed, buf: b.buf }, [b.buf.buffer as ArrayBuffer]);
  else self.postMessage({ bytes: 0, closed });
};
