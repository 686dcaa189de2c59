/** Optimal string alignment distance: edits, with a swap of two neighbours counting as one. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** Case, `_` for `-` and leading dashes do not count as typos: `--Session_ID` is `--session-id`. */
function normal(word: string): string {
  return word.replace(/^-+/, "").toLowerCase().replace(/_/g, "-");
}

/**
 * The candidate the user most plausibly meant, or undefined when none is close: at most one edit for short
 * words, two for words of 6 or more characters, or a word that starts the other (`stop-sessions`, `invok`).
 * Very long input (a misplaced token or payload) is never matched.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const word = normal(input);
  if (word.length < 2 || word.length > 40) return undefined;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const target = normal(candidate);
    const allowed = target.length >= 6 ? 2 : 1;
    let distance = editDistance(word, target);
    // a prefix either way is a weaker match than a real typo, so `stop-sessions` is `stop-session`, not `stop`
    if (distance > allowed && word.length >= 3 && (target.startsWith(word) || word.startsWith(target))) distance = allowed + 0.5;
    if (distance <= allowed + 0.5 && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}
