/**
 * Decides whether two connection nodes are the same packets seen at two capture points (kernel
 * NAT or a bridge): the fields NAT preserves (seq/ack, IP ID, payload) must line up packet by
 * packet, and the tuple change must be a translation (only source, only destination, or both).
 */
import { firstTtl, PROTO_TCP, sameEndpoint, type ConnNode } from './conn-node.js';
import { linkScoped } from './link-scope.js';

export interface SamePacketMatch {
  a: number;
  b: number;
  /** Packets of `a` found in `b`. */
  matched: number;
  /** Smaller of the two sample counts. */
  comparable: number;
  /**
   * Median time of the copy in `b` minus the copy in `a`, per direction (raw clocks),
   * microseconds; NaN when no packet of that direction matched.
   */
  medianFwd: number;
  medianRev: number;
  /** Matched packets per direction. */
  countFwd: number;
  countRev: number;
  /** Where this match's deltas (client → server ones, then the others) sit in the DeltaPool it was given; -1: not kept. */
  deltaAt: number;
  /** Constant raw seq difference b − a in each direction when seq did not match but IP ID + payload did. */
  seqOffsetFwd: number | null;
  seqOffsetRev: number | null;
  /** Matched packets whose TCP timestamp option was present (and, by the key, identical). */
  tsvalMatched: number;
  ipIdMatched: number;
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v | 0), 0x01000193);
  // The high word: 0 for the 32-bit fields (nearly every value), without a division for them.
  h = Math.imul(h ^ (v >= 0 && v < 4294967296 ? 0 : Math.floor(v / 4294967296)), 0x01000193);
  return h >>> 0;
}

/** Packet identity on the fields NAT keeps. */
function fullKey(dir: number, seq: number, ack: number, ipId: number, ph: number, plen: number, flags: number, tsv: number): number {
  let h = 0x811c9dc5;
  h = mix(h, dir);
  h = mix(h, seq);
  h = mix(h, ack);
  h = mix(h, ipId);
  h = mix(h, ph);
  h = mix(h, plen);
  h = mix(h, flags & 0x17);
  h = mix(h, tsv);
  return h;
}

function looseKey(dir: number, ipId: number, ph: number, plen: number, flags: number): number {
  let h = 0x2545f491;
  h = mix(h, dir);
  h = mix(h, ipId);
  h = mix(h, ph);
  h = mix(h, plen);
  h = mix(h, flags & 0x17);
  return h;
}

interface Slot {
  ts: number;
  seq: number;
}

/** The node's packets by IP ID and payload (seq left out: the seqadj fallback). */
function looseIndex(n: ConnNode): Map<number, Slot> {
  const m = new Map<number, Slot>();
  for (const f of n.parts) {
    const s = f.samples;
    for (let i = 0; i < s.count; i++) {
      if (s.ipIdAt(i) <= 0 && s.payloadHashAt(i) === 0) continue;
      const k = looseKey(s.dirAt(i), s.ipIdAt(i), s.payloadHashAt(i), s.payloadLenAt(i), s.flagsAt(i));
      // First copy wins: a retransmission is the same packet again, later.
      if (!m.has(k)) m.set(k, { ts: s.tsUsAt(i), seq: s.seqAt(i) });
    }
  }
  return m;
}

function constant(xs: number[]): number | null {
  if (xs.length === 0) return null;
  for (const x of xs) if (x !== xs[0]) return null;
  return xs[0];
}

/** True when b's tuple is a translation of a's: protocol equal, at least the packets agree on one side. */
function plausibleTuple(a: ConnNode, b: ConnNode): boolean {
  if (a.proto !== b.proto) return false;
  const same = sameEndpoint(a.client, b.client) && sameEndpoint(a.server, b.server);
  // The same tuple on the same interface is a different connection (port reuse), not a copy.
  if (same && a.ifaceKey === b.ifaceKey) return false;
  // Packets that are never routed are never NATed: a rewrite between two link-scoped tuples is a
  // coincidence (an MLD report sent from :: and again from the new fe80:: address has the same
  // bytes). Bridged copies of them (no rewrite) stay possible.
  if (!same && (linkScoped(a) || linkScoped(b))) return false;
  return true;
}

/**
 * Per-packet delays of cross-file matches, kept for the clock-offset estimate (./clock-offset.ts)
 * in one growing array instead of two arrays per match.
 */
export class DeltaPool {
  buf: Float64Array = new Float64Array(1024);
  length = 0;

  append(src: Float64Array, n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < at + n) cap *= 2;
      const b = new Float64Array(cap);
      b.set(this.buf.subarray(0, at));
      this.buf = b;
    }
    this.buf.set(src.subarray(0, n), at);
    this.length = at + n;
    return at;
  }
}

/** One match's delays while it is being verified, per direction (grown as needed). */
let scratchFwd: Float64Array = new Float64Array(256);
let scratchRev: Float64Array = new Float64Array(256);
let nFwd = 0;
let nRev = 0;

function pushDelta(dir: number, d: number): void {
  if (dir === 0) {
    if (nFwd === scratchFwd.length) scratchFwd = grow(scratchFwd);
    scratchFwd[nFwd++] = d;
  } else {
    if (nRev === scratchRev.length) scratchRev = grow(scratchRev);
    scratchRev[nRev++] = d;
  }
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/**
 * b's packets while one match is verified: their keys and times, and an open-addressing table
 * from key to the first packet with it, the others with that key chained after it in capture
 * order (a SYN-ACK sent again unchanged is the same packet again: a's n-th copy matches b's n-th,
 * and both count). Typed arrays reused across matches: a Map and an object per packet, or a scan
 * of every pair of packets, cost more than the comparison.
 */
let keyOf = new Uint32Array(512);
let tsOf = new Float64Array(512);
let used = new Uint8Array(512);
/** The next packet of b with the same key, -1 at the end of the chain. */
let nextOf = new Int32Array(512);
let slotKey = new Uint32Array(1024);
let slotAt = new Int32Array(1024);
/** The chain's last packet, per slot. */
let slotLast = new Int32Array(1024);

/** Fills the table with b's packets; returns the table's mask. */
function tableOf(b: ConnNode): number {
  let n = 0;
  for (const f of b.parts) n += f.samples.count;
  if (n > keyOf.length) {
    const cap = Math.max(n, keyOf.length * 2);
    keyOf = new Uint32Array(cap);
    tsOf = new Float64Array(cap);
    used = new Uint8Array(cap);
    nextOf = new Int32Array(cap);
  }
  let size = 16;
  while (size < 2 * n) size *= 2;
  if (size > slotAt.length) {
    slotKey = new Uint32Array(size);
    slotAt = new Int32Array(size);
    slotLast = new Int32Array(size);
  }
  const mask = size - 1;
  slotAt.fill(-1, 0, size);
  let nb = 0;
  for (const f of b.parts) {
    const s = f.samples;
    for (let i = 0; i < s.count; i++) {
      const k = fullKey(s.dirAt(i), s.seqAt(i), s.ackAt(i), s.ipIdAt(i), s.payloadHashAt(i), s.payloadLenAt(i), s.flagsAt(i), s.tsValAt(i));
      keyOf[nb] = k;
      tsOf[nb] = s.tsUsAt(i);
      used[nb] = 0;
      nextOf[nb] = -1;
      let h = k & mask;
      while (slotAt[h] >= 0 && slotKey[h] !== k) h = (h + 1) & mask;
      if (slotAt[h] < 0) {
        slotKey[h] = k;
        slotAt[h] = nb;
      } else nextOf[slotLast[h]] = nb;
      slotLast[h] = nb;
      nb++;
    }
  }
  return mask;
}

/** The first packet of b with this key, or -1. */
function firstWith(k: number, mask: number): number {
  let h = k & mask;
  for (;;) {
    const at = slotAt[h];
    if (at < 0 || slotKey[h] === k) return at;
    h = (h + 1) & mask;
  }
}

/** `pool`: keeps the per-packet delays of a match between two files (for the clock offsets). */
export function matchSamePacket(a: ConnNode, b: ConnNode, pool: DeltaPool | null = null): SamePacketMatch | null {
  if (!plausibleTuple(a, b)) return null;
  const tcp = a.proto === PROTO_TCP;
  nFwd = 0;
  nRev = 0;
  let tsvalMatched = 0;
  let ipIdMatched = 0;
  const mask = tableOf(b);
  for (const f of a.parts) {
    const s = f.samples;
    for (let i = 0; i < s.count; i++) {
      let j = firstWith(fullKey(s.dirAt(i), s.seqAt(i), s.ackAt(i), s.ipIdAt(i), s.payloadHashAt(i), s.payloadLenAt(i), s.flagsAt(i), s.tsValAt(i)), mask);
      while (j >= 0 && used[j] === 1) j = nextOf[j];
      if (j < 0) continue;
      used[j] = 1;
      pushDelta(s.dirAt(i), tsOf[j] - s.tsUsAt(i));
      if (s.tsValAt(i) >= 0) tsvalMatched++;
      if (s.ipIdAt(i) > 0) ipIdMatched++;
    }
  }
  let matched = nFwd + nRev;
  const comparable = Math.min(a.samples, b.samples);
  let seqOffsetFwd: number | null = null;
  let seqOffsetRev: number | null = null;
  if (tcp && matched === 0 && a.ifaceKey !== b.ifaceKey) {
    // seqadj (NAT helper, SYNPROXY) shifts seq/ack by a constant: match on IP ID + payload instead.
    const li = looseIndex(b);
    const offF: number[] = [];
    const offR: number[] = [];
    for (const f of a.parts) {
      const s = f.samples;
      for (let i = 0; i < s.count; i++) {
        if (s.ipIdAt(i) <= 0 && s.payloadHashAt(i) === 0) continue;
        const hit = li.get(looseKey(s.dirAt(i), s.ipIdAt(i), s.payloadHashAt(i), s.payloadLenAt(i), s.flagsAt(i)));
        if (hit === undefined) continue;
        pushDelta(s.dirAt(i), hit.ts - s.tsUsAt(i));
        (s.dirAt(i) === 0 ? offF : offR).push(((hit.seq - s.seqAt(i)) >>> 0));
        // Fresh sockets start IP IDs at 0 or 1 (and SYN-ACKs carry 0): only higher ones identify.
        if (s.ipIdAt(i) > 16) ipIdMatched++;
      }
    }
    matched = nFwd + nRev;
    seqOffsetFwd = constant(offF);
    seqOffsetRev = constant(offR);
    // Only a constant offset is seqadj; anything else is a coincidence of IP ID and payload.
    if (matched < 2 || ipIdMatched < 2 || matched * 2 < comparable) return null;
    if ((offF.length > 0 && seqOffsetFwd === null) || (offR.length > 0 && seqOffsetRev === null)) return null;
  }
  if (matched === 0) return null;
  if (tcp) {
    // TCP: the ISNs seen on both sides must agree (or differ by the seqadj constant).
    if (seqOffsetFwd === null && a.fwdIsn !== null && b.fwdIsn !== null && a.fwdIsn !== b.fwdIsn) return null;
    if (seqOffsetRev === null && a.revIsn !== null && b.revIsn !== null && a.revIsn !== b.revIsn) return null;
  } else if (matched * 2 < Math.min(comparable, 8)) {
    // Datagram flows: most packets must line up, not one coincidental IP ID + payload.
    return null;
  }
  const medianFwd = medianOf(scratchFwd, nFwd);
  const medianRev = medianOf(scratchRev, nRev);
  if (a.fileIdx === b.fileIdx && ttlRises(a, b, medianFwd, medianRev)) return null;
  let deltaAt = -1;
  if (pool !== null && a.fileIdx !== b.fileIdx) {
    deltaAt = pool.append(scratchFwd, nFwd);
    pool.append(scratchRev, nRev);
  }
  return {
    a: a.idx,
    b: b.idx,
    matched,
    comparable,
    medianFwd,
    medianRev,
    countFwd: nFwd,
    countRev: nRev,
    deltaAt,
    seqOffsetFwd,
    seqOffsetRev,
    tsvalMatched,
    ipIdMatched,
  };
}

/**
 * Along its path a packet's TTL (hop limit) only falls, by one each time the host routes it: on
 * one clock, a "copy" seen later with a higher TTL is another packet with the same bytes (a ping
 * repeating itself to the next address of an IPv6 routing header).
 */
function ttlRises(a: ConnNode, b: ConnNode, medianFwd: number, medianRev: number): boolean {
  const fwd = !Number.isNaN(medianFwd);
  const bLater = fwd ? medianFwd : medianRev;
  if (Number.isNaN(bLater) || bLater === 0) return false;
  const ta = firstTtl(a, fwd);
  const tb = firstTtl(b, fwd);
  if (ta === null || tb === null) return false;
  return bLater > 0 ? tb > ta : ta > tb;
}

const scratchSort = new Float64Array(32);

/** Median of xs[0..n). */
function medianOf(xs: ArrayLike<number>, n: number): number {
  if (n === 0) return NaN;
  const m = n >> 1;
  if (n <= scratchSort.length) {
    // Stable insertion sort in a scratch array: the same order as the sort below, no copy.
    const s = scratchSort;
    for (let i = 0; i < n; i++) {
      const x = xs[i];
      let j = i;
      while (j > 0 && s[j - 1] > x) {
        s[j] = s[j - 1];
        j--;
      }
      s[j] = x;
    }
    return n % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
  // A typed array sorts numerically in native code; a generic slice of a typed array and a sort
  // with a comparator cost a flow of 256 samples more than matching its packets did.
  if (n > scratchLarge.length) scratchLarge = new Float64Array(Math.max(n, scratchLarge.length * 2));
  const s = scratchLarge.subarray(0, n);
  for (let i = 0; i < n; i++) s[i] = xs[i];
  s.sort();
  return n % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

let scratchLarge = new Float64Array(512);

export function median(xs: number[]): number {
  return medianOf(xs, xs.length);
}

/** Clock difference b − a implied by one match: the mean of the two directions' medians cancels the forwarding delay. */
export function pairOffsetUs(m: SamePacketMatch): number {
  const f = m.medianFwd;
  const r = m.medianRev;
  if (Number.isNaN(f)) return r;
  if (Number.isNaN(r)) return f;
  return (f + r) / 2;
}

/** The verified matches by node: a chain per node through typed arrays (no Map keyed by pair). */
export class MatchIndex {
  private readonly first: Int32Array;
  /** Per match: the next match of its `a` node and of its `b` node. */
  private readonly nextA: Int32Array;
  private readonly nextB: Int32Array;

  constructor(
    nodeCount: number,
    private readonly matches: readonly SamePacketMatch[],
  ) {
    this.first = new Int32Array(nodeCount).fill(-1);
    this.nextA = new Int32Array(matches.length);
    this.nextB = new Int32Array(matches.length);
    for (let i = 0; i < matches.length; i++) {
      const m = matches[i];
      this.nextA[i] = this.first[m.a];
      this.first[m.a] = i;
      this.nextB[i] = this.first[m.b];
      this.first[m.b] = i;
    }
  }

  /** The match between nodes x and y (either way round), if one was kept. */
  between(x: number, y: number): SamePacketMatch | undefined {
    let i = this.first[x];
    while (i !== -1) {
      const m = this.matches[i];
      if (m.a === x) {
        if (m.b === y) return m;
        i = this.nextA[i];
      } else {
        if (m.a === y) return m;
        i = this.nextB[i];
      }
    }
    return undefined;
  }
}
