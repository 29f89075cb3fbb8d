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
