/**
 * Functions that run once per tar entry. An import or export calls them thousands of
 * times in a process that lives a few hundred milliseconds, and JSC then compiles them
 * again with its top tier (FTL): 20–70 ms of a core per big function here, which the
 * faster code never paid back (import: ~40 ms less CPU and ~30 ms less wall time
 * without it). Modules mark such functions; the runtime decides what marking does
 * (on Bun they stay in the tier below FTL; elsewhere nothing happens).
 */
// deno-lint-ignore ban-types
type Fn = Function;
type Mark = (fn: Fn) => void;

const waiting: Fn[] = [];
let mark: Mark | undefined;

/** Marks functions that run once per entry of a layer (see above). */
export function perEntry(...fns: Fn[]): void {
  for (const fn of fns) {
    if (mark) mark(fn);
    else waiting.push(fn);
  }
}

/** Set by the runtime at start-up; applies to functions marked before and after. */
export function setPerEntryMark(m: Mark): void {
  mark = m;
  for (const fn of waiting.splice(0)) m(fn);
}
