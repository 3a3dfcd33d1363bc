/**
 * The ladder's column headers: one label per column line (role, then endpoint), laid out so that
 * neighbours never run into each other however narrow the terminal: each label gets the room it
 * needs where the gap allows, else a share of the gap, cut with an ellipsis, and a blank always
 * separates two labels.
 */
import { truncate } from './text-fit.js';

export interface LabelRow {
  text: string;
  /** Whether a label had to be cut to fit. */
  cut: boolean;
}

/** Cells a label wants left and right of its line: the first starts on it, the last ends on it. */
function reachOf(label: string, k: number, n: number): { left: number; right: number } {
  const len = label.length;
  if (len === 0) return { left: 0, right: 0 };
  if (k === 0) return { left: 0, right: len - 1 };
  if (k === n - 1) return { left: len - 1, right: 0 };
  const left = Math.floor(len / 2);
  return { left, right: len - 1 - left };
}

/**
 * One header row: label k under column line xs[k], in a row `width` wide. Between two lines, the
 * label wanting less room gets all it wants and the other the rest; when both want more than
 * half, each gets half. The first label may reach left over the (blank) time column, the last
 * right to the edge.
 */
export function labelRow(labels: readonly string[], xs: readonly number[], width: number): LabelRow {
  const n = labels.length;
  const reach = labels.map((l, k) => reachOf(l, k, n));
  const lo = xs.slice();
  const hi = xs.slice();
  lo[0] = 0;
  hi[n - 1] = width - 1;
  for (let k = 0; k + 1 < n; k++) {
    // Cells strictly between the two lines, less the blank that keeps the labels apart.
    const free = Math.max(0, xs[k + 1] - xs[k] - 2);
    const mine = reach[k].right;
    const theirs = reach[k + 1].left;
    const half = Math.floor(free / 2);
    if (mine + theirs <= free) {
      hi[k] = xs[k] + mine;
      lo[k + 1] = xs[k + 1] - theirs;
    } else {
      hi[k] = xs[k] + (mine <= half ? mine : theirs <= free - half ? free - theirs : half);
      lo[k + 1] = hi[k] + 2;
    }
  }
  const row = new Array<string>(width).fill(' ');
  let cut = false;
  labels.forEach((label, k) => {
    if (label === '') return;
    const t = truncate(label, hi[k] - lo[k] + 1);
    cut ||= t.length < label.length;
    const ideal = k === 0 ? xs[0] : k === n - 1 ? xs[k] - t.length + 1 : xs[k] - Math.floor(t.length / 2);
    const at = Math.max(lo[k], Math.min(ideal, hi[k] - t.length + 1));
    for (let i = 0; i < t.length; i++) if (at + i >= 0 && at + i < width) row[at + i] = t[i];
  });
  return { text: row.join('').trimEnd(), cut };
}

/**
 * The endpoint rows under the roles, from each leg's [src, dst]: the client's address, per hop
 * `in|out` (what the previous leg was sent to | what the next leg comes from), the server's
 * address. When that row would cut a label, each hop's pair is stacked instead: `in` on the
 * first row, `out` under it.
 */
export function endpointRows(legs: ReadonlyArray<readonly [string, string]>, xs: readonly number[], width: number): string[] {
  const n = legs.length;
  const ins = legs.slice(0, -1).map(([, dst]) => dst);
  const outs = legs.slice(1).map(([src]) => src);
  const one = labelRow([legs[0][0], ...ins.map((d, i) => `${d}|${outs[i]}`), legs[n - 1][1]], xs, width);
  if (!one.cut || n === 1) return [one.text];
  return [labelRow([legs[0][0], ...ins, legs[n - 1][1]], xs, width).text, labelRow(['', ...outs, ''], xs, width).text];
}
