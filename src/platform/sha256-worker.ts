/**
 * The thread behind `sha256.ts`: one hash per stream id. `{ id, chunk }` adds bytes and
 * is answered with `{ id, done: chunk }`, handing the buffer back; `{ id }` alone finishes with `{ id, hex }`.
 */
import { type Hasher, hasher } from "./hash.ts";

declare const self: { onmessage: ((ev: MessageEvent) => void) | null; postMessage(m: unknown, transfer?: Transferable[]): void };

const hashes = new Map<number, Hasher>();

self.onmessage = (ev: MessageEvent) => {
  const { id, chunk } = ev.data as { id: number; chunk?: Uint8Array };
  let h = hashes.get(id);
  if (!h) hashes.set(id, (h = hasher("sha256")));
  if (chunk) {
    h.update(chunk);
    // The buffer goes back, to be filled again: fresh memory costs page faults.
    return self.postMessage({ id, done: chunk }, [chunk.buffer]);
  }
  hashes.delete(id);
  self.postMessage({ id, hex: h.hex() });
};
