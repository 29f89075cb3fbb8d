/**
 * Output straight to file descriptors 1 and 2. Bun's `process.stdout` costs ~10 ms to
 * set up, twice what the rest of `strata version` takes.
 */
import { writeSync } from "node:fs";

const encoder = new TextEncoder();

function write(fd: number, text: string) {
  let bytes = encoder.encode(text);
  while (bytes.length) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (err) {
      // A non-blocking pipe that is full: wait for the reader.
      if ((err as { code?: string }).code !== "EAGAIN") throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

export const stdout = (text: string) => write(1, text);
export const stderr = (text: string) => write(2, text);
