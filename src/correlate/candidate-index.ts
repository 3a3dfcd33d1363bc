/**
 * Hash buckets that propose which connection nodes might be the same packets seen at two capture
 * points: keyed by the fields kernel NAT never touches (TCP ISN in either direction, or the first
 * datagram's IP ID + payload hash). Only nodes sharing a bucket are compared, so the work grows
 * with the number of flows, not its square.
 */
import { PROTO_TCP, type ConnNode } from './conn-node.js';

/** Buckets larger than this are noise (IP ID 0 + identical payloads): they prove nothing. */
const MAX_BUCKET = 64;

function addKey<K>(map: Map<K, number[]>, key: K, idx: number): void {
  const b = map.get(key);
  if (b === undefined) map.set(key, [idx]);
  else if (b.length <= MAX_BUCKET) b.push(idx);
}

function firstSampleKey(n: ConnNode, dir: number, needPayload: boolean): string | null {
  for (const f of n.parts) {
    const s = f.samples;
    for (let i = 0; i < s.count; i++) {
      if (s.dir[i] !== dir) continue;
      if (needPayload && s.payloadHash[i] === 0) continue;
      return `${s.ipId[i]}:${s.payloadHash[i]}:${s.payloadLen[i]}`;
    }
  }
  return null;
}

/** Candidate pairs [a, b] with a < b, each once. */
export function samePacketCandidates(nodes: readonly ConnNode[]): Array<[number, number]> {
  // ISNs get numeric-keyed maps: two per TCP node, the bulk of the keys, no string per key.
  const byFwdIsn = new Map<number, number[]>();
  const byRevIsn = new Map<number, number[]>();
  const buckets = new Map<string, number[]>();
  for (const n of nodes) {
    if (n.proto === PROTO_TCP) {
      if (n.fwdIsn !== null) addKey(byFwdIsn, n.fwdIsn, n.idx);
      if (n.revIsn !== null) addKey(byRevIsn, n.revIsn, n.idx);
      // A data segment's IP ID + payload survives a seq rewrite (helper / SYNPROXY) too.
      const k = firstSampleKey(n, 0, true);
      if (k !== null) addKey(buckets, `d${k}`, n.idx);
    } else {
      const f = firstSampleKey(n, 0, false);
      if (f !== null) addKey(buckets, `u${n.proto}:${f}`, n.idx);
      const r = firstSampleKey(n, 1, false);
      if (r !== null) addKey(buckets, `v${n.proto}:${r}`, n.idx);
    }
  }
  const seen = new Set<number>();
  const out: Array<[number, number]> = [];
  const N = nodes.length;
  const emit = (b: number[]): void => {
    if (b.length < 2 || b.length > MAX_BUCKET) return;
    for (let i = 0; i < b.length; i++) {
      for (let j = i + 1; j < b.length; j++) {
        const a = Math.min(b[i], b[j]);
        const c = Math.max(b[i], b[j]);
        if (a === c) continue;
        const key = a * N + c;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push([a, c]);
      }
    }
  };
  for (const b of byFwdIsn.values()) emit(b);
  for (const b of byRevIsn.values()) emit(b);
  for (const b of buckets.values()) emit(b);
  return out;
}
