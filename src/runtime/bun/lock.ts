/**
 * Locks between processes on Bun: flock(2) on a file per name, through bun:ffi. A free
 * lock is taken at once; a held one is waited for on a helper thread (lock-worker.ts),
 * whose blocking flock leaves this thread's event loop running. The kernel drops a
 * holder's lock when it dies, so the waiter takes over.
 *
 * A process that is `alone` (a CLI command) and holds or awaits no other lock blocks in
 * flock on this thread instead: starting the helper costs ~10 ms of CPU, which eight
 * commands waiting on one extraction take from it. Holding no lock, such a process has
 * nobody waiting on it, so blocking cannot deadlock; whatever else it has in flight
 * waits too. Ctrl-C still ends it: a CLI process installs no signal handler.
 */
import { dlopen, FFIType, read } from "bun:ffi";
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import type { Lock, Locks } from "../../core/ports/host.ts";
import { startWorker } from "../../platform/worker.ts";
import { LOCK_EX, LOCK_NB, LOCK_UN } from "../../platform/sys.ts";
import { sysError } from "../libc.ts";
import { namedTurns } from "../mutex.ts";

const EWOULDBLOCK = 11;
const EINTR = 4;

let libc: ReturnType<typeof open> | undefined;
function open() {
  return dlopen("libc.so.6", {
    flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols;
}
const c = () => (libc ??= open());
const errno = () => read.i32(c().__errno_location()!, 0);

/** Waits on a helper thread until flock(fd, LOCK_EX) returns there. */
function waitFor(fd: number, path: string): Promise<void> {
  const w = startWorker("runtime/bun/lock-worker.ts");
  return new Promise<void>((resolve, reject) => {
    w.onmessage = (ev: MessageEvent) => {
      w.terminate();
      const { errno: e } = ev.data as { errno: number };
      if (e) reject(sysError(e, "flock", path));
      else resolve();
    };
    w.onerror = (ev: ErrorEvent) => {
      w.terminate();
      reject(new Error(`lock thread failed: ${ev.message}`));
    };
    w.postMessage({ fd });
  });
}

/** Whether `fd` is still the file at `path`. */
function samePlace(fd: number, path: string): boolean {
  const here = statSync(path, { throwIfNoEntry: false });
  const held = fstatSync(fd);
  return here !== undefined && here.ino === held.ino && here.dev === held.dev;
}

/** Waits on this thread until flock(fd, LOCK_EX) returns. */
function block(fd: number, path: string): void {
  while (c().flock(fd, LOCK_EX) !== 0) {
    const e = errno();
    if (e !== EINTR) throw sysError(e, "flock", path);
  }
}

export function locks(dir: string, opts: { alone?: boolean } = {}): Locks {
  mkdirSync(dir, { recursive: true });
  const turn = namedTurns();
  /** This process's locks held or being taken, from the first try until the release. */
  let busy = 0;
  const take = async (name: string): Promise<Lock> => {
    const path = `${dir}/${name}`;
    for (;;) {
      const fd = openSync(path, "a", 0o600);
      busy++;
      try {
        if (c().flock(fd, LOCK_EX | LOCK_NB) !== 0) {
          const e = errno();
          if (e !== EWOULDBLOCK) throw sysError(e, "flock", path);
          if (opts.alone && busy === 1) block(fd, path);
          else await waitFor(fd, path);
        }
      } catch (err) {
        busy--;
        closeSync(fd);
        throw err;
      }
      // gc may have removed the file while this waited on it: a lock on a name no longer
      // there excludes nobody, so it is taken again on the file that is.
      if (samePlace(fd, path)) {
        return {
          release() {
            busy--;
            c().flock(fd, LOCK_UN);
            closeSync(fd);
          },
        };
      }
      busy--;
      closeSync(fd);
    }
  };
  return {
    hold: (name) => turn(name, () => take(name)),
    list: () => readdirSync(dir),
    forget(names) {
      // Only a lock nobody holds is removed, and while holding it; one waiting on it then
      // finds its file gone and takes the new one (see take).
      for (const name of names) {
        const path = `${dir}/${name}`;
        let fd;
        try {
          fd = openSync(path, "r");
        } catch {
          continue;
        }
        if (c().flock(fd, LOCK_EX | LOCK_NB) === 0 && samePlace(fd, path)) rmSync(path, { force: true });
        closeSync(fd);
      }
    },
  };
}
