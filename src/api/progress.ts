/**
 * Long transfers as streams: progress items while the work runs, then its result, so
 * the CLI can draw a progress line and the server can send NDJSON lines as they come.
 * Progress is coalesced per blob and handed out as fast as the reader reads: a slow
 * reader gets fewer, fresher items, never a backlog.
 *
 *     for await (const item of withProgress((report) => pull(d, registry, { ...o, progress: report }))) …
 */

/** One blob's transfer so far. */
export interface ProgressItem {
  progress: { blob: string; bytes: number; size: number };
}

export const isProgress = (item: unknown): item is ProgressItem =>
  typeof item === "object" && item !== null && "progress" in item;

export async function* withProgress<T>(
  work: (report: (blob: string, bytes: number, size: number) => void) => Promise<T>,
): AsyncGenerator<ProgressItem | T> {
  const latest = new Map<string, ProgressItem>();
  let wake: (() => void) | undefined;
  let end: { value: T } | { error: unknown } | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  work((blob, bytes, size) => {
    latest.set(blob, { progress: { blob, bytes, size } });
    poke();
  }).then((value) => (end = { value }), (error) => (end = { error })).finally(poke);
  for (;;) {
    if (latest.size) {
      const items = [...latest.values()];
      latest.clear();
      yield* items;
      continue;
    }
    if (end) break;
    await new Promise<void>((resolve) => (wake = resolve));
  }
  if ("error" in end) throw end.error;
  yield end.value;
}
