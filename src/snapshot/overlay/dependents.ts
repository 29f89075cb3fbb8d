/**
 * Which snapshots lie on which: a child's tree is its parents' layers too, so a snapshot
 * another one lies on is never deleted under it. The core removes children before
 * parents; this guards what it cannot see, such as `check --repair` removing a parent
 * whose record a damaged database lost while its child's record stayed. Such a parent
 * is kept, marked retained and out of the snapshot list, and goes with its last child.
 *
 * Each parent (or stacked layer) has `children/<key>`, made before the child's own
 * directories: a marker whose child is gone (a crash) counts for nothing.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import type { Layout, Lowers } from "./layout.ts";

export class Dependents {
  constructor(private at: Layout) {}

  private dir = (key: string) => `${this.at.key(key)}/children`;

  /** The snapshots a snapshot lying on `l` depends on: its parent, or its stacked layers. */
  static of(l: Lowers | undefined): string[] {
    if (!l) return [];
    return l.parent !== undefined ? [l.parent] : l.layers.map((layer) => layer.split("/")[0]!);
  }

  add(parents: string[], child: string): void {
    for (const p of parents) {
      mkdirSync(this.dir(p), { recursive: true });
      writeFileSync(`${this.dir(p)}/${child}`, "");
    }
  }

  /** Whether a snapshot that still exists lies on `key`. */
  has(key: string): boolean {
    try {
      return readdirSync(this.dir(key)).some((child) => existsSync(this.at.key(child)));
    } catch {
      return false;
    }
  }

  retain(key: string): void {
    writeFileSync(`${this.at.key(key)}/retained`, "");
  }

  retained = (key: string) => existsSync(`${this.at.key(key)}/retained`);

  /** `child` is gone: its parents forget it; returns those retained that nothing lies on now. */
  release(parents: string[], child: string): string[] {
    for (const p of parents) rmSync(`${this.dir(p)}/${child}`, { force: true });
    return parents.filter((p) => this.retained(p) && !this.has(p));
  }
}
