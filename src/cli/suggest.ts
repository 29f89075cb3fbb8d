/**
 * "Did you mean …": the nearest of some names to a mistyped one, by edit distance
 * (insertions, deletions, substitutions and swaps of neighbours), when it is near enough
 * to be a typo rather than another word.
 *
 *   nearest("prun", ["prune", "pull", "push"])  // "prune"
 */
export function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The nearest name, if within a third of the word's length (at least 1, at most 3 edits). */
export function nearest(word: string, names: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of names) {
    const dist = name.startsWith(word) && word.length >= 3 ? 1 : distance(word, name);
    if (dist < bestDistance) [best, bestDistance] = [name, dist];
  }
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean X?)`, or nothing. */
export const didYouMean = (word: string, names: Iterable<string>, show = (s: string) => s) => {
  const n = nearest(word, names);
  return n === undefined ? "" : ` (did you mean ${show(n)}?)`;
};
