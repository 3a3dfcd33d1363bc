/**
 * Minimum-cost assignment (Hungarian algorithm, O(n³)) for small groups of relay candidates: with
 * identical payloads a greedy pick of the single cheapest pair can force two wrong pairs, while
 * the assignment minimising the total delay keeps both right.
 */

/**
 * `cost[i][j]` for rows i (upstream ends) and columns j (downstream ends); Infinity = not
 * allowed. Returns, per row, the column assigned or -1. Maximises the number of pairs first,
 * then minimises their total cost.
 */
export function minCostAssignment(cost: number[][], cols: number): number[] {
  const rows = cost.length;
  const n = rows + cols;
  const FORBIDDEN = 1e15;
  const UNPAIRED = 1e12;
  // Square matrix: real rows × (real cols + one "unpaired" slot per row), dummy rows fill the rest.
  const a = (i: number, j: number): number => {
    if (i < rows && j < cols) return Number.isFinite(cost[i][j]) ? cost[i][j] : FORBIDDEN;
    if (i < rows || j < cols) return UNPAIRED;
    return 0;
  };
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(Infinity);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = a(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Array<number>(rows).fill(-1);
  for (let j = 1; j <= n; j++) {
    const i = p[j] - 1;
    if (i >= 0 && i < rows && j - 1 < cols && Number.isFinite(cost[i][j - 1])) out[i] = j - 1;
  }
  return out;
}
