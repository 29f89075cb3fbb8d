/**
 * The helper thread of extraction on Bun (see layer/files.ts). Each message is a batch:
 * one buffer and the operations on it, in order: `{ fd, at, len }` writes bytes of the
 * buffer to a file, `{ fd, meta }` finishes and closes one. Each batch is answered with
 * its buffer (to be filled again) and how many files it closed. `{}` asks for the end:
 * `{ blocks, error? }`. After a failure no more is written, but every file is closed.
 */
import { closeSync } from "node:fs";
import { type FileMeta, finishFile, writeAll } from "../../layer/files.ts";
import { sys } from "./sys.ts";
import { type WireError, toWire } from "../worker.ts";

declare const self: { onmessage: ((ev: MessageEvent) => void) | null; postMessage(m: unknown, t?: Transferable[]): void };

type Op = { fd: number; at: number; len: number; meta?: undefined } | { fd: number; meta: FileMeta | null };

let blocks = 0;
let failed: WireError | undefined;

self.onmessage = (ev: MessageEvent) => {
  const { buf, ops } = ev.data as { buf?: Uint8Array; ops?: Op[] };
  if (!buf || !ops) return self.postMessage({ blocks, error: failed });
  let closed = 0;
  for (const op of ops) {
    try {
      if (op.meta === undefined) {
        if (!failed) writeAll(op.fd, buf, op.at, op.at + op.len);
        continue;
      }
      closed++;
      if (failed || op.meta === null) closeSync(op.fd);
      else blocks += finishFile(sys, op.fd, op.meta);
    } catch (err) {
      failed ??= toWire(err);
    }
  }
  self.postMessage({ buf, closed }, [buf.buffer as ArrayBuffer]);
};
