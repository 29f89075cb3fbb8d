/**
 * What prune removes, decided on the whole graph at once (SPEC §3.12–13). Pure: records
 * in, ids out, in removal order. A record goes only after its children; a record that
 * is kept (held, filtered out, recent, or internal without --all) keeps its ancestors.
 */
import type { Predicate } from "./filter.ts";
import type { Record } from "./record.ts";

export interface Policy {
  /** Also internal, frontend and shared records. */
  all?: boolean;
  filter?: Predicate;
  /** Keep records used (or created, if never used) within this many ms. */
  keepDurationMs?: number;
  maxUsedSpace?: number;
  minFreeSpace?: number;
  reservedSpace?: number;
}

export interface Space {
  /** Bytes used by all records now. */
  used: number;
  /** Bytes free on the filesystem now. */
  free: number;
}

const lastUse = (r: Record) => Date.parse(r.lastUsedAt ?? r.createdAt);

export function eligible(r: Record, p: Policy, now: number): boolean {
  if (r.inUse) return false;
  if (!p.all && (r.recordType === "internal" || r.recordType === "frontend" || r.shared)) return false;
  if (p.keepDurationMs !== undefined && lastUse(r) >= now - p.keepDurationMs) return false;
  return p.filter ? p.filter(r, now) : true;
}

/** A record with its last use parsed once: the heap compares many times. */
interface Candidate {
  r: Record;
  last: number;
}

/** Never-used first, then least recently used, then least often used. */
function before(a: Candidate, b: Candidate): boolean {
  const au = a.r.usageCount === 0 ? 0 : 1, bu = b.r.usageCount === 0 ? 0 : 1;
  if (au !== bu) return au < bu;
  if (a.last !== b.last) return a.last < b.last;
  return a.r.usageCount < b.r.usageCount;
}

export const hasSpaceTarget = (p: Policy) =>
  p.maxUsedSpace !== undefined || p.minFreeSpace !== undefined || p.reservedSpace !== undefined;

export function plan(records: Record[], p: Policy, now: number, space: Space = { used: 0, free: 0 }): string[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  const children = new Map<string, number>();
  for (const r of records) for (const q of r.parents) children.set(q, (children.get(q) ?? 0) + 1);
  const ok = new Set(records.filter((r) => eligible(r, p, now)).map((r) => r.id));
  const frontier = new Heap<Candidate>(before);
  const push = (id: string) => {
    const r = byId.get(id)!;
    frontier.push({ r, last: lastUse(r) });
  };
  for (const id of ok) if (!children.get(id)) push(id);

  let { used, free } = space;
  const target = hasSpaceTarget(p);
  const wants = () =>
    !target ||
    (p.maxUsedSpace !== undefined && used > p.maxUsedSpace) ||
    (p.minFreeSpace !== undefined && free < p.minFreeSpace) ||
    (p.maxUsedSpace === undefined && p.minFreeSpace === undefined && used > p.reservedSpace!);

  const order: string[] = [];
  while (frontier.size && wants()) {
    const { r } = frontier.pop()!;
    if (p.reservedSpace !== undefined && used - r.size < p.reservedSpace) break;
    order.push(r.id);
    used -= r.size;
    free += r.size;
    for (const q of r.parents) {
      const left = children.get(q)! - 1;
      children.set(q, left);
      if (left === 0 && ok.has(q)) push(q);
    }
  }
  return order;
}

/** A binary heap: the least item by `less` on top. */
class Heap<T> {
  private items: T[] = [];
  constructor(private less: (a: T, b: T) => boolean) {}
  get size() {
    return this.items.length;
  }
  push(x: T) {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0;) {
      const up = (i - 1) >> 1;
      if (!this.less(a[i]!, a[up]!)) break;
      [a[i], a[up]] = [a[up]!, a[i]!];
      i = up;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last !== undefined) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
