/**
 * Locks between processes on Deno: flock through `Deno.FsFile.lock`, which waits off
 * the event loop. The kernel drops a holder's lock when it dies, so a waiter takes over.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import type { Lock, Locks } from "../../core/ports/host.ts";
import { namedTurns } from "../mutex.ts";

declare const Deno: any;

export function locks(dir: string): Locks {
  mkdirSync(dir, { recursive: true });
  const turn = namedTurns();
  const take = async (name: string): Promise<Lock> => {
    const file = await Deno.open(`${dir}/${name}`, { read: true, write: true, create: true });
    try {
      await file.lock(true);
    } catch (err) {
      file.close();
      throw err;
    }
    return {
      release() {
        file.close(); // closing the file drops its lock
      },
    };
  };
  return {
    hold: (name) => turn(name, () => take(name)),
    list: () => readdirSync(dir),
    forget(names) {
      for (const name of names) rmSync(`${dir}/${name}`, { force: true });
    },
  };
}
