/**
 * Filters in containerd's syntax as buildctl uses them: `key==value`, `key!=value`,
 * `key~=regex`, bare `key` for presence (true). Commas inside one filter AND; several
 * filters OR. The same predicate serves du and prune.
 *
 *   const keep = parseFilters(["type==regular,inuse==false", "description~=^go"]);
 *   keep(record, Date.now())
 */
import { parseDuration } from "./duration.ts";
import { usage } from "./errors.ts";
import type { Record } from "./record.ts";

type Op = "==" | "!=" | "~=" | "present";
interface Term {
  key: string;
  op: Op;
  value: string;
}

export const filterKeys = [
  "id", "parents", "description", "type", "inuse", "mutable", "immutable", "shared", "private", "until",
] as const;
type Key = (typeof filterKeys)[number];

/** Values a key compares against; several for `parents`. */
function fieldValues(r: Record, key: Key): string[] {
  switch (key) {
    case "id": return [r.id];
    case "parents": return r.parents;
    case "description": return [r.description];
    case "type": return [r.recordType];
    case "inuse": return [String(r.inUse)];
    case "mutable": return [String(r.mutable)];
    case "immutable": return [String(!r.mutable)];
    case "shared": return [String(r.shared)];
    case "private": return [String(!r.shared)];
    case "until": return [];
  }
}

function splitTerms(filter: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote = "";
  for (const ch of filter) {
    if (quote) {
      if (ch === quote) quote = "";
      else cur += ch;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (quote) throw usage(`unclosed quote in filter "${filter}"`);
  out.push(cur);
  return out.map((t) => t.trim());
}

function parseTerm(text: string, filter: string): Term {
  const m = text.match(/^([a-z]+)\s*(==|!=|~=|=)\s*(.*)$/s);
  const key = (m ? m[1] : text) as Key;
  if (!filterKeys.includes(key)) {
    throw usage(`unknown filter key "${key || text}" in "${filter}" (keys: ${filterKeys.join(", ")})`);
  }
  if (!m) {
    if (key === "until") throw usage(`filter until needs a duration, as until==24h`);
    return { key, op: "present", value: "true" };
  }
  // `=` is accepted as `==`, as docker's filters do.
  const op = (m[2] === "=" ? "==" : m[2]) as Op;
  const value = m[3]!;
  if (key === "until") {
    if (op !== "==") throw usage(`filter until takes ==, as until==24h`);
    parseDuration(value);
  }
  if (op === "~=") {
    try {
      new RegExp(value);
    } catch {
      throw usage(`invalid regular expression "${value}" in "${filter}"`);
    }
  }
  return { key, op, value };
}

function matches(t: Term, r: Record, now: number): boolean {
  if (t.key === "until") {
    const last = Date.parse(r.lastUsedAt ?? r.createdAt);
    return last < now - parseDuration(t.value);
  }
  const values = fieldValues(r, t.key as Key);
  switch (t.op) {
    case "present":
    case "==": return values.includes(t.value);
    case "!=": return !values.includes(t.value);
    case "~=": {
      const re = new RegExp(t.value);
      return values.some((v) => re.test(v));
    }
  }
}

export type Predicate = (r: Record, now: number) => boolean;

export function parseFilters(filters: string[] = []): Predicate {
  const groups = filters.map((f) => splitTerms(f).filter(Boolean).map((t) => parseTerm(t, f)));
  if (!groups.length) return () => true;
  return (r, now) => groups.some((terms) => terms.every((t) => matches(t, r, now)));
}
