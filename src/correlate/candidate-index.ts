/**
 * Hash buckets that propose which connection nodes might be the same packets seen at two capture
 * points: keyed by the fields kernel NAT never touches (TCP ISN in either direction, or the first
 * datagram's IP ID + payload hash). Only nodes sharing a bucket are compared, so the work grows
 * with the number of flows, not its square.
 *
 * The buckets live in typed arrays (open addressing, members chained by index): no Map entry,
 * array or boxed number per node, and a 32-bit ISN never becomes a heap-number key.
 */
import { PROTO_TCP, type ConnNode } from './conn-node.js';

/** Data segments each way a connection joined mid-way is filed under. */
const MID_STREAM_SAMPLES = 8;

/** Bucket kind of server → client TCP data (0 is client → server; other protocols use 1 + 2·proto and 2 + 2·proto). */
const KIND_TCP_REPLY = -1;

/** Buckets larger than this are noise (IP ID 0 + identical payloads): they prove nothing. */
const MAX_BUCKET = 64;

function mixKey(h: number, v: number): number {
  h = Math.imul(h ^ (v | 0), 0x01000193);
  h = Math.imul(h ^ Math.floor(v / 4294967296), 0x01000193);
  return h;
}

/**
 * Buckets keyed by up to four exact numbers, kept in creation order; each holds its members in
 * insertion order, at most MAX_BUCKET + 1 of them (one more marks the bucket as noise).
 */
class Buckets {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly k0: Float64Array;
  private readonly k1: Float64Array;
  private readonly k2: Float64Array;
  private readonly k3: Float64Array;
  readonly head: Int32Array;
  private readonly tail: Int32Array;
  readonly size: Int32Array;
  readonly member: Int32Array;
  readonly next: Int32Array;
  /** Buckets made so far; bucket ids are 0..count-1 in creation order. */
  count = 0;
  private members = 0;

  /** `max`: most insertions this table will see. */
  constructor(max: number) {
    let cap = 16;
    while (cap < max * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    this.k0 = new Float64Array(max);
    this.k1 = new Float64Array(max);
    this.k2 = new Float64Array(max);
    this.k3 = new Float64Array(max);
    this.head = new Int32Array(max);
    this.tail = new Int32Array(max);
    this.size = new Int32Array(max);
    this.member = new Int32Array(max);
    this.next = new Int32Array(max);
  }

  add(a: number, b: number, c: number, d: number, idx: number): void {
    let h = 0x811c9dc5;
    h = mixKey(h, a);
    h = mixKey(h, b);
    h = mixKey(h, c);
    h = mixKey(h, d);
    h ^= h >>> 15;
    let s = h & this.mask;
    let id: number;
    for (;;) {
      const v = this.slots[s];
      if (v === 0) {
        id = this.count++;
        this.slots[s] = id + 1;
        this.k0[id] = a;
        this.k1[id] = b;
        this.k2[id] = c;
        this.k3[id] = d;
        this.size[id] = 0;
        this.head[id] = -1;
        break;
      }
      id = v - 1;
      if (this.k0[id] === a && this.k1[id] === b && this.k2[id] === c && this.k3[id] === d) break;
      s = (s + 1) & this.mask;
    }
    if (this.size[id] > MAX_BUCKET) return;
    const m = this.members++;
    this.member[m] = idx;
    this.next[m] = -1;
    if (this.head[id] === -1) this.head[id] = m;
    else this.next[this.tail[id]] = m;
    this.tail[id] = m;
    this.size[id]++;
  }
}

/**
 * Adds the node's first `count` samples in `dir` (with payload when asked) to `buckets` under
 * `kind`: one per sample, so a node whose capture began a datagram later (its first is the other
 * node's second) still shares a bucket with it.
 */
function addFirstSamples(buckets: Buckets, kind: number, n: ConnNode, dir: number, needPayload: boolean, count: number, needIpIdOrPayload = false): void {
  let added = 0;
  for (const f of n.parts) {
    const s = f.samples;
    for (let i = 0; i < s.count; i++) {
      if (s.dirAt(i) !== dir) continue;
      if (needPayload && s.payloadHashAt(i) === 0) continue;
      // An empty segment without an IP ID (IPv6, or IP ID 0) is like every other such one.
      if (needIpIdOrPayload && s.payloadHashAt(i) === 0 && s.ipIdAt(i) <= 0) continue;
      buckets.add(kind, s.ipIdAt(i), s.payloadHashAt(i), s.payloadLenAt(i), n.idx);
      if (++added === count) return;
    }
  }
}

/** A TCP connection whose handshake the capture missed (it joined it mid-way). */
function noIsn(n: ConnNode): boolean {
  return n.fwdIsn === null && n.revIsn === null;
}

/** Candidate pairs as a flat list [a0, b0, a1, b1, …] with a < b, each pair once. */
export function samePacketCandidates(nodes: readonly ConnNode[]): number[] {
  const N = nodes.length;
  const byFwdIsn = new Buckets(N);
  const byRevIsn = new Buckets(N);
  // TCP adds one sample per node (up to 2·MID_STREAM_SAMPLES when joined mid-way), other protocols three.
  let midStream = 0;
  for (const n of nodes) if (n.proto === PROTO_TCP && noIsn(n)) midStream++;
  const buckets = new Buckets(3 * N + 2 * MID_STREAM_SAMPLES * midStream);
  for (const n of nodes) {
    if (n.proto === PROTO_TCP) {
      if (n.fwdIsn !== null) byFwdIsn.add(n.fwdIsn, 0, 0, 0, n.idx);
      if (n.revIsn !== null) byRevIsn.add(n.revIsn, 0, 0, 0, n.idx);
      // A data segment's IP ID + payload survives a seq rewrite (helper / SYNPROXY) too.
      if (!noIsn(n)) addFirstSamples(buckets, 0, n, 0, true, 1);
      else {
        // A connection the capture joined mid-way has no ISN to go by, and may carry data one
        // way only (a download or an upload under way): its first segments each way, so that
        // capture points whose tcpdumps started some segments apart still meet.
        // Pure ACKs too, by their IP ID: a stretch caught after the last data has only those.
        addFirstSamples(buckets, 0, n, 0, false, MID_STREAM_SAMPLES, true);
        addFirstSamples(buckets, KIND_TCP_REPLY, n, 1, false, MID_STREAM_SAMPLES, true);
      }
    } else {
      // Kinds 1 + 2·proto (client → server) and 2 + 2·proto (server → client): never 0. Two
      // client datagrams: a capture point that started between them (13: all.pcapng's dumpcap
      // missed the first of two MLD reports eth0.pcap holds) still meets its other copies.
      addFirstSamples(buckets, 1 + 2 * n.proto, n, 0, false, 2);
      addFirstSamples(buckets, 2 + 2 * n.proto, n, 1, false, 1);
    }
  }
  const out: number[] = [];
  // Most nodes pair with one other: remember that one per node, and only beyond it use a set.
  const firstPartner = new Int32Array(N).fill(-1);
  let more: Set<number> | null = null;
  const scratch = new Int32Array(MAX_BUCKET + 1);
  const emit = (t: Buckets): void => {
    const { head, size, member, next } = t;
    for (let id = 0; id < t.count; id++) {
      const len = size[id];
      if (len < 2 || len > MAX_BUCKET) continue;
      for (let m = head[id], k = 0; m !== -1; m = next[m]) scratch[k++] = member[m];
      for (let i = 0; i < len; i++) {
        for (let j = i + 1; j < len; j++) {
          const a = Math.min(scratch[i], scratch[j]);
          const c = Math.max(scratch[i], scratch[j]);
          if (a === c) continue;
          const p = firstPartner[a];
          if (p === c) continue;
          if (p === -1) firstPartner[a] = c;
          else {
            more ??= new Set();
            const key = a * N + c;
            if (more.has(key)) continue;
            more.add(key);
          }
          out.push(a, c);
        }
      }
    }
  };
  emit(byFwdIsn);
  emit(byRevIsn);
  emit(buckets);
  return out;
}
