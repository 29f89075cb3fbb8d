/**
 * The helper thread of lock.ts: `{ fd }` blocks in flock(fd, LOCK_EX) until the lock is
 * free, then answers `{ errno }` (0 when it holds the lock for the process).
 */
import { dlopen, FFIType, read } from "bun:ffi";

declare const self: { onmessage: ((ev: MessageEvent) => void) | null; postMessage(m: unknown): void };

const { symbols: c } = dlopen("libc.so.6", {
  flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
});

self.onmessage = (ev: MessageEvent) => {
  const { fd } = ev.data as { fd: number };
  const ok = c.flock(fd, 2) === 0;
  self.postMessage({ errno: ok ? 0 : read.i32(c.__errno_location()!, 0) });
};
