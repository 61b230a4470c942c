// "Did you mean …?": the known name closest to a mistyped one. Pure.

/**
 * Names longer than this get no suggestion: a typo of a real name is short,
 * and the edit distance costs the product of the two lengths.
 */
const MAX_SUGGESTED_NAME = 100;

/** Levenshtein distance, two rows of the table at a time. */
export function editDistance(a: string, b: string): number {
  let prev = Uint32Array.from({ length: b.length + 1 }, (_, j) => j);
  let row = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    [prev, row] = [row, prev];
  }
  return prev[b.length] ?? 0;
}

/** The known name within a few edits of `name` (case-insensitive), if any. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  if (name.length > MAX_SUGGESTED_NAME) return undefined;
  const limit = Math.max(2, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const candidate = k.toLowerCase();
    // The distance is at least the difference in length: such a name could not be suggested.
    if (Math.abs(candidate.length - lower.length) > limit) continue;
    const d = editDistance(lower, candidate);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= limit ? best : undefined;
}
