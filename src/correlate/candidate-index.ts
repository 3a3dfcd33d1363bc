/**
 * Hash buckets that propose which connection nodes might be the same packets seen at two capture
 * points: keyed by the fields kernel NAT never touches (TCP ISN in either direction, or the first
 * datagram's IP ID + payload hash). Only nodes sharing a bucket are compared, so the work grows
 * with the number of flows, not its square.
 *
 * Keys are numbers (no string per node) and a one-member bucket is the bare node index (no array
 * per node): almost every bucket has one or two members.
 */
import { PROTO_TCP, type ConnNode } from './conn-node.js';

/** Buckets larger than this are noise (IP ID 0 + identical payloads): they prove nothing. */
const MAX_BUCKET = 64;

type Slot = number | number[];

function addKey(map: Map<number, Slot>, key: number, idx: number): void {
  const b = map.get(key);
  if (b === undefined) map.set(key, idx);
  else if (typeof b === 'number') map.set(key, [b, idx]);
  else if (b.length <= MAX_BUCKET) b.push(idx);
}

/**
 * Buckets keyed by (protocol/kind, IP ID, payload hash, payload length), kept in creation order.
 * The first three fit one exact number; the length, which rarely differs, chains.
 */
class SampleBuckets {
  private readonly heads = new Map<number, SampleBucket>();
  readonly order: SampleBucket[] = [];

  add(kind: number, ipId: number, hash: number, len: number, idx: number): void {
    // Not always exact (kind and IP ID together can pass 2^21): keys that round together
    // share a chain, and the chain compares all four fields.
    const key = (kind * 131072 + ipId + 1) * 4294967296 + hash;
    let b = this.heads.get(key);
    if (b === undefined) {
      b = { kind, ipId, hash, len, members: [idx], next: null };
      this.heads.set(key, b);
      this.order.push(b);
      return;
    }
    for (;;) {
      if (b.len === len && b.kind === kind && b.ipId === ipId && b.hash === hash) {
        if (b.members.length <= MAX_BUCKET) b.members.push(idx);
        return;
      }
      if (b.next === null) break;
      b = b.next;
    }
    const n: SampleBucket = { kind, ipId, hash, len, members: [idx], next: null };
    b.next = n;
    this.order.push(n);
  }
}

interface SampleBucket {
  kind: number;
  ipId: number;
  hash: number;
  len: number;
  members: number[];
  next: SampleBucket | null;
}

/** Adds the node's first sample in `dir` (with payload when asked) to `buckets` under `kind`. */
function addFirstSample(buckets: SampleBuckets, kind: number, n: ConnNode, dir: number, needPayload: boolean): void {
  for (const f of n.parts) {
    const s = f.samples;
    const count = s.count;
    if (count === 0) continue;
    const dirs = s.dir;
    const hashes = s.payloadHash;
    for (let i = 0; i < count; i++) {
      if (dirs[i] !== dir) continue;
      if (needPayload && hashes[i] === 0) continue;
      buckets.add(kind, s.ipId[i], hashes[i], s.payloadLen[i], n.idx);
      return;
    }
  }
}

/** Candidate pairs as a flat list [a0, b0, a1, b1, …] with a < b, each pair once. */
export function samePacketCandidates(nodes: readonly ConnNode[]): number[] {
  const byFwdIsn = new Map<number, Slot>();
  const byRevIsn = new Map<number, Slot>();
  const buckets = new SampleBuckets();
  for (const n of nodes) {
    if (n.proto === PROTO_TCP) {
      if (n.fwdIsn !== null) addKey(byFwdIsn, n.fwdIsn, n.idx);
      if (n.revIsn !== null) addKey(byRevIsn, n.revIsn, n.idx);
      // A data segment's IP ID + payload survives a seq rewrite (helper / SYNPROXY) too.
      addFirstSample(buckets, 0, n, 0, true);
    } else {
      // Kinds 1 + 2·proto (client → server) and 2 + 2·proto (server → client): never 0.
      addFirstSample(buckets, 1 + 2 * n.proto, n, 0, false);
      addFirstSample(buckets, 2 + 2 * n.proto, n, 1, false);
    }
  }
  const out: number[] = [];
  // Most nodes pair with one other: remember that one per node, and only beyond it use a set.
  const firstPartner = new Int32Array(nodes.length).fill(-1);
  let more: Set<number> | null = null;
  const N = nodes.length;
  const emit = (b: number[]): void => {
    if (b.length < 2 || b.length > MAX_BUCKET) return;
    for (let i = 0; i < b.length; i++) {
      for (let j = i + 1; j < b.length; j++) {
        const a = Math.min(b[i], b[j]);
        const c = Math.max(b[i], b[j]);
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
  };
  for (const b of byFwdIsn.values()) if (typeof b !== 'number') emit(b);
  for (const b of byRevIsn.values()) if (typeof b !== 'number') emit(b);
  for (const b of buckets.order) emit(b.members);
  return out;
}
