/**
 * In-process turns for named locks. A file lock (flock) is held per open file, so two
 * callers in one process would each open the file and block each other on the kernel;
 * here the second waits for the first in memory, and only one at a time asks the kernel.
 */
import type { Lock } from "../core/ports/host.ts";

export function namedTurns() {
  const tails = new Map<string, Promise<void>>();
  /** Waits for the callers before this one on `name`, then takes the lock; its release ends the turn. */
  return async function turn(name: string, take: () => Promise<Lock>): Promise<Lock> {
    const before = tails.get(name) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const chain = before.then(() => mine);
    tails.set(name, chain);
    const end = () => {
      if (tails.get(name) === chain) tails.delete(name);
      done();
    };
    await before;
    let lock: Lock;
    try {
      lock = await take();
    } catch (err) {
      end();
      throw err;
    }
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        lock.release();
        end();
      },
    };
  };
}
