/** What the core asks of the host: the time, and who is alive. */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Who holds something: this process, and whether another holder still runs. */
export interface Processes {
  /** A token naming this process, stable for its life and never reused (pid + start time). */
  readonly self: string;
  alive(owner: string): boolean;
}

/** `alive`, asked once per owner: for one pass over many entries of few owners (a prune's). */
export function aliveOnce(processes: Processes): (owner: string) => boolean {
  const known = new Map<string, boolean>();
  return (owner) => known.get(owner) ?? known.set(owner, processes.alive(owner)).get(owner)!;
}

/**
 * Exclusive locks between processes on one root (and between callers in one process),
 * released by the kernel when a holder dies, so a waiter takes over from a process that
 * was killed. Waiting is the kernel's, not a polling loop.
 */
export interface Locks {
  /** Holds `name` once nobody else does, waiting while someone does. */
  hold(name: string): Promise<Lock>;
  /** Names that have a lock file. */
  list(): string[];
  /** Forgets the lock files of names no longer in use (records that are gone). */
  forget(names: string[]): void;
}

export interface Lock {
  release(): void;
}
