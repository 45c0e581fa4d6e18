/** Edit distance between two strings (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidate a typo most likely meant, or undefined when nothing is close: a newcomer who
 * wrote `regoins` or `us-east1` gets pointed at the fix instead of a list of 37 regions.
 */
export function closest(word: unknown, candidates: readonly string[]): string | undefined {
  if (typeof word !== "string" || word === "") return undefined;
  const lower = word.toLowerCase();
  let best: { candidate: string; d: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(lower, candidate.toLowerCase());
    if (best === undefined || d < best.d) best = { candidate, d };
  }
  const tolerance = Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && best.d <= tolerance ? best.candidate : undefined;
}

/** " (did you mean `x`?)" or "" — ready to append to a message. */
export function didYouMean(word: unknown, candidates: readonly string[]): string {
  const match = closest(word, candidates);
  return match === undefined || match === word ? "" : ` (did you mean \`${match}\`?)`;
}
