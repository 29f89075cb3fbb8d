/**
 * Locks between processes on Deno: flock through `Deno.FsFile.lock`, which waits off
 * the event loop. The kernel drops a holder's lock when it dies, so a waiter takes over.
 */
import { mkdirSync, readdirSync, statSync } from "node:fs";
import type { Lock, Locks } from "../../core/ports/host.ts";
import { namedTurns } from "../mutex.ts";

declare const Deno: any;

export function locks(dir: string): Locks {
  mkdirSync(dir, { recursive: true });
  const turn = namedTurns();
  const take = async (name: string): Promise<Lock> => {
    const path = `${dir}/${name}`;
    for (;;) {
      const file = await Deno.open(path, { read: true, write: true, create: true });
      try {
        await file.lock(true);
      } catch (err) {
        file.close();
        throw err;
      }
      // A file removed while this waited on it excludes nobody: taken again (as on Bun).
      const here = statSync(path, { throwIfNoEntry: false });
      const held = await file.stat();
      if (here && here.ino === held.ino && here.dev === held.dev) {
        return {
          release() {
            file.close(); // closing the file drops its lock
          },
        };
      }
      file.close();
    }
  };
  return {
    hold: (name) => turn(name, () => take(name)),
    list: () => readdirSync(dir),
    // Deno has no non-blocking lock to prove a file free before removing it: lock files
    // stay (an empty file per record ever locked, removed by a Bun process's gc).
    forget() {},
  };
}
