/**
 * A file's bytes as chunks of 1 MiB, read with plain reads. Not a node stream: a fresh
 * process takes ~20 ms longer to start reading through `createReadStream`, and every
 * command is a fresh process that reads a blob or a layer file.
 *
 *     for await (const chunk of fileChunks(path, { start: 10, end: 99 })) use(chunk);
 */
import { open } from "node:fs/promises";

const CHUNK = 1 << 20;

/** Bytes from `start` up to and including `end` (default: all of the file). */
export async function* fileChunks(path: string, range?: { start: number; end: number }): AsyncGenerator<Uint8Array> {
  const handle = await open(path, "r");
  try {
    for (let at = range?.start ?? 0, last = range?.end ?? Infinity; at <= last;) {
      const want = Math.min(CHUNK, last - at + 1);
      const buf = new Uint8Array(want);
      const { bytesRead } = await handle.read(buf, 0, want, at);
      if (!bytesRead) return;
      at += bytesRead;
      yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
