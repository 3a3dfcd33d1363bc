/**
 * Per-file clock offsets from same-packet matches between files: the median over matched
 * connections of (median delay one way + median delay the other way) / 2, so the forwarding
 * delay cancels out. Offsets are relative to a reference file (the first one with matches) and
 * propagated along the file graph.
 */
import type { ConnNode } from './conn-node.js';
import { median, type DeltaPool, type SamePacketMatch } from './same-packet.js';

export interface FileOffset {
  /** This file's clock minus the reference file's, microseconds; null when no match links it. */
  offsetUs: number | null;
  basis: string | null;
}

/** Below this, an offset is indistinguishable from forwarding and queueing asymmetry: same clock. */
export const MIN_APPLIED_OFFSET_US = 1_000;

/** `pool`: the per-packet delays matchSamePacket kept for the matches between files. */
export function estimateOffsets(
  files: readonly string[],
  nodes: readonly ConnNode[],
  matches: readonly SamePacketMatch[],
  pool: DeltaPool,
): FileOffset[] {
  const out: FileOffset[] = files.map(() => ({ offsetUs: null, basis: null }));
  if (files.length === 0) return out;
  // Per file pair (i < j): delays j − i of client→server copies and of server→client copies.
  const pairs = new Map<string, { fwd: number[]; rev: number[]; n: number }>();
  for (const m of matches) {
    const fa = nodes[m.a].fileIdx;
    const fb = nodes[m.b].fileIdx;
    if (fa === fb) continue;
    const flip = fa > fb;
    const k = flip ? `${fb}|${fa}` : `${fa}|${fb}`;
    let p = pairs.get(k);
    if (!p) pairs.set(k, (p = { fwd: [], rev: [], n: 0 }));
    p.n++;
    const buf = pool.buf;
    const fwdEnd = m.deltaAt + m.countFwd;
    for (let i = m.deltaAt; i < fwdEnd; i++) p.fwd.push(flip ? -buf[i] : buf[i]);
    for (let i = fwdEnd; i < fwdEnd + m.countRev; i++) p.rev.push(flip ? -buf[i] : buf[i]);
  }
  const adj = new Map<number, Array<{ to: number; off: number; n: number }>>();
  for (const [k, p] of pairs) {
    const [i, j] = k.split('|').map(Number);
    // One way the copy on j is later by the forwarding delay, the other way earlier: the mean of
    // the two medians cancels the delay and leaves the clock difference.
    const f = median(p.fwd);
    const r = median(p.rev);
    const off = Number.isNaN(f) ? r : Number.isNaN(r) ? f : (f + r) / 2;
    if (Number.isNaN(off)) continue;
    (adj.get(i) ?? adj.set(i, []).get(i)!).push({ to: j, off, n: p.n });
    (adj.get(j) ?? adj.set(j, []).get(j)!).push({ to: i, off: -off, n: p.n });
  }
  if (files.length === 1) {
    out[0] = { offsetUs: 0, basis: 'single file: its own clock is the reference' };
    return out;
  }
  // Reference: the first file that shares packets with another one.
  const ref = files.findIndex((_, i) => adj.has(i));
  if (ref < 0) return out;
  out[ref] = { offsetUs: 0, basis: 'reference clock' };
  const queue = [ref];
  while (queue.length > 0) {
    const i = queue.shift()!;
    const base = out[i].offsetUs!;
    // Best-supported edges first, so each file is placed by its largest sample.
    const edges = (adj.get(i) ?? []).slice().sort((x, y) => y.n - x.n);
    for (const e of edges) {
      if (out[e.to].offsetUs !== null) continue;
      const off = base + e.off;
      const small = Math.abs(off) < MIN_APPLIED_OFFSET_US;
      out[e.to] = {
        offsetUs: off,
        basis: `median of ${e.n} same-packet match${e.n === 1 ? '' : 'es'} with ${files[i]}${small ? ` (${Math.round(off)} µs: within forwarding delay, same clock)` : ''}`,
      };
      queue.push(e.to);
    }
  }
  return out;
}

/** The offset to subtract from a file's timestamps: small ones are forwarding noise, not clock error. */
export function appliedOffsetUs(o: FileOffset | undefined): number {
  if (!o || o.offsetUs === null || Math.abs(o.offsetUs) < MIN_APPLIED_OFFSET_US) return 0;
  return o.offsetUs;
}
