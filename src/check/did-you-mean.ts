/** Suggests the closest known word for a misspelt key or value, or null when nothing is close. */
export function didYouMean(word: string, known: readonly string[]): string | null {
  const w = word.toLowerCase();
  let best: string | null = null;
  let bestDist = Infinity;
  for (const k of known) {
    const kl = k.toLowerCase();
    if (kl === w) return k;
    const d = editDistance(w, kl);
    if (d < bestDist) {
      bestDist = d;
      best = k;
    }
  }
  // One or two slips are worth a hint; further than that the hint misleads.
  const limit = Math.max(2, Math.floor(w.length / 3));
  return best !== null && bestDist <= limit ? best : null;
}

/** Optimal-string-alignment distance: a swapped pair of letters ("mecahnism") is one slip. */
function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Infinity;
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push(new Array<number>(b.length + 1).fill(0));
    d[i][0] = i;
  }
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
