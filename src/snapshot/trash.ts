/**
 * Crash-safe removal for snapshot directories, shared by every snapshotter: a snapshot
 * is renamed into `ROOT/trash/` (one rename, so a crash never leaves half of one in
 * place) and deleted from there; whatever a dead process left in the trash is deleted
 * by the next sweep.
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { aliveOnce, type Processes } from "../core/ports/host.ts";
import { turn } from "../core/turn.ts";
import { treeUsage } from "./usage.ts";

export class Trash {
  readonly dir: string;

  constructor(root: string, private processes: Processes) {
    this.dir = `${root}/trash`;
    mkdirSync(this.dir, { recursive: true });
  }

  /** Renames `path` into the trash; returns where, or undefined if it was already gone. */
  discard(path: string, name: string): string | undefined {
    // Named after this process, so a sweep by another process leaves it to us while we live.
    const aside = `${this.dir}/${this.processes.self}~${name}~${crypto.randomUUID()}`;
    try {
      renameSync(path, aside);
      return aside;
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** Entries this process or a dead one put there. */
  mine(): string[] {
    // During a prune, its thousands of entries share one owner.
    const alive = aliveOnce(this.processes);
    return readdirSync(this.dir).filter((name) => {
      const owner = name.split("~")[0]!;
      return owner === this.processes.self || !owner.includes(":") || !alive(owner);
    }).map((name) => `${this.dir}/${name}`);
  }

  /**
   * Deletes `paths`; with `measure`, returns the bytes that freed. Deleting is kernel
   * work that blocks this thread, so it goes in slices of a few milliseconds with a turn
   * of the event loop between them: a daemon deleting thousands of snapshots keeps
   * answering requests.
   */
  async sweep(paths: string[], measure = false): Promise<number> {
    let freed = 0;
    let slice = performance.now();
    for (const path of paths) {
      if (measure) freed += treeUsage(path);
      rmSync(path, { recursive: true, force: true });
      if (performance.now() - slice > 4) {
        await turn();
        slice = performance.now();
      }
    }
    return freed;
  }
}
