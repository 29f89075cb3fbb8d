/**
 * Paths from a layer, made safe. `clean` turns an entry name into a path relative to the
 * snapshot: leading `/` and `.` dropped (contained), a `..` that would climb above the
 * snapshot rejected. `Scope` resolves parent directories inside the snapshot, following
 * symlinks as if the snapshot were `/`, so no write ever lands outside it.
 */
import { lstatSync, readlinkSync } from "node:fs";
import { integrity } from "../core/errors.ts";
import { perEntry } from "../platform/jit.ts";

/** A layer that tries to write where it may not: rejected whole (exit 8). */
export const hostile = (why: string) => integrity(`hostile layer: ${why}`);

/** `a/./b/` → `a/b`; `/etc/x` → `etc/x`; `a/../b` → `b`; `../x` → rejected. */
export function clean(name: string): string {
  const out: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (!out.length) throw hostile(`entry "${name}" climbs out of the snapshot`);
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

const MAX_LINKS = 40;

export class Scope {
  /** Directories (relative) known to be real directories inside the snapshot. */
  private real = new Set<string>([""]);

  /** `view(rel)`: where a name is seen, when that is not always under `root` (an overlay upper over a tree). */
  constructor(readonly root: string, private view?: (rel: string) => string) {}

  abs(rel: string): string {
    return rel ? `${this.root}/${rel}` : this.root;
  }

  /**
   * The real relative path of `rel`: every component but the last (and the last too
   * when `followLast`) resolved through symlinks, `..` and absolute targets clamped to
   * the snapshot. Missing components are taken as they are.
   */
  resolve(rel: string, followLast = false): string {
    const queue = rel ? rel.split("/") : [];
    const stack: string[] = [];
    let links = 0;
    while (queue.length) {
      const part = queue.shift()!;
      if (part === "" || part === ".") continue;
      if (part === "..") {
        stack.pop();
        continue;
      }
      const here = stack.length ? `${stack.join("/")}/${part}` : part;
      if ((queue.length || followLast) && !this.real.has(here)) {
        let target: string | undefined;
        const seen = this.view ? this.view(here) : this.abs(here);
        try {
          if (lstatSync(seen).isSymbolicLink()) target = readlinkSync(seen);
        } catch { /* missing: taken as is */ }
        if (target !== undefined) {
          if (++links > MAX_LINKS) throw hostile(`too many symlinks resolving "${rel}"`);
          if (target.startsWith("/")) stack.length = 0;
          queue.unshift(...target.split("/"));
          continue;
        }
      }
      stack.push(part);
    }
    return stack.join("/");
  }

  markReal(rel: string) {
    this.real.add(rel);
  }

  /** A directory was removed or replaced: forget what was known below it. */
  forget(rel: string) {
    if (!this.real.has(rel)) return;
    for (const d of this.real) if (d === rel || d.startsWith(`${rel}/`)) this.real.delete(d);
  }

  isReal(rel: string) {
    return this.real.has(rel);
  }
}

perEntry(clean);
