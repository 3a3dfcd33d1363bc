/**
 * Relay matching (docker-proxy, or any L4 proxy): a second TCP connection that the proxy opens
 * right after accepting the first one and that carries the same reassembled byte stream in each
 * direction. ISN, IP ID and TSval are unrelated, so only streams and timing can pair them; when
 * many conversations carry identical bytes, a global greedy assignment by lowest delay decides
 * and the result says it was ambiguous.
 *
 * docker-proxy relays UDP too: a client's datagram to the host port is sent on from a new socket
 * of the proxy's (a new source port per client), the container's replies written back from the
 * host port. With no handshake, such a relay needs the same datagram bytes in both directions;
 * the "dial" is the first forwarded datagram.
 */
import type { Flow } from '../flows/flow.js';
import { PROTO_TCP, PROTO_UDP, sameEndpoint, type ConnNode } from './conn-node.js';
import { minCostAssignment } from './assignment.js';
import { UnionFind } from './union-find.js';

const SYN = 0x02;
const FIN = 0x01;
const RST = 0x04;
const ACK = 0x10;

/** Clock error tolerated when ordering events on two legs, microseconds. */
const TOLERANCE_US = 200;
/** Longest accepted delay between the client's handshake and the proxy's dial. */
const DIAL_WINDOW_US = 1_000_000;
/** Without any payload to compare, only a very prompt dial counts. */
const NO_DATA_WINDOW_US = 100_000;

export interface RelayEnd {
  group: number;
  node: ConnNode;
  /** TCP: the client's SYN; UDP: the first client datagram. */
  syn: number;
  accept: number | null;
  fwdData: number | null;
  revData: number | null;
  fwdFin: number | null;
  revFin: number | null;
  fwdDigest: string | null;
  revDigest: string | null;
  fwdBytes: number;
  revBytes: number;
  rejected: boolean;
}

export interface RelayMatch {
  up: RelayEnd;
  down: RelayEnd;
  /** Microseconds from the upstream leg's SYN-ACK (UDP: first datagram) to the downstream SYN (first datagram). */
  dialDelay: number;
  cost: number;
  /** Other feasible partners each side had (identical payloads within the window). */
  rivals: number;
  kind: 'stream' | 'refused' | 'no-data';
}

function replyFlow(n: ConnNode): Flow {
  return n.parts.length > 1 ? n.parts[1] : n.parts[0];
}

/** Event times of one connection node, on the reference clock. */
export function relayEnd(group: number, n: ConnNode, offsetUs: number): RelayEnd {
  let syn: number | null = null;
  let accept: number | null = null;
  let fwdData: number | null = null;
  let revData: number | null = null;
  let fwdFin: number | null = null;
  let revFin: number | null = null;
  for (const f of n.parts) {
    const s = f.samples;
    for (let i = 0; i < s.count; i++) {
      const t = s.tsUs[i] - offsetUs;
      const fl = s.flags[i];
      if (s.dir[i] === 0) {
        if (syn === null && (fl & (SYN | ACK)) === SYN) syn = t;
        if (fwdData === null && s.payloadLen[i] > 0) fwdData = t;
        if (fwdFin === null && (fl & (FIN | RST)) !== 0) fwdFin = t;
      } else {
        if (accept === null && (fl & (SYN | ACK)) === (SYN | ACK)) accept = t;
        if (revData === null && s.payloadLen[i] > 0) revData = t;
        if (revFin === null && (fl & (FIN | RST)) !== 0) revFin = t;
      }
    }
  }
  const a = n.parts[0];
  const r = replyFlow(n);
  return {
    group,
    node: n,
    syn: syn ?? n.firstUs - offsetUs,
    accept,
    fwdData,
    revData,
    fwdFin,
    revFin,
    fwdDigest: a.fwd.digest,
    revDigest: r.rev.digest,
    fwdBytes: a.fwd.streamBytes,
    revBytes: r.rev.streamBytes,
    rejected: a.state === 'rejected',
  };
}

function bucketKey(e: RelayEnd): string {
  // A UDP relay is never paired with a TCP one, even on equal bytes.
  if (e.node.proto === PROTO_UDP) return e.fwdBytes > 0 && e.fwdDigest !== null ? `u${e.fwdDigest}` : 'udp-nodata';
  if (e.fwdBytes > 0 && e.fwdDigest !== null) return `d${e.fwdDigest}`;
  return e.rejected ? 'refused' : 'nodata';
}

/** Feasibility and cost of `up` relayed into `down`; null when impossible. */
function evaluate(up: RelayEnd, down: RelayEnd): { cost: number; kind: RelayMatch['kind'] } | null {
  // Every test below only rejects: the cheap numeric ones go first (most pairs in a busy bucket
  // fail on time), the string compares after.
  if (up.group === down.group) return null;
  if (up.node.proto !== down.node.proto) return null;
  // Without payload on both sides nothing ties two UDP flows together (no handshake to time).
  if (up.node.proto === PROTO_UDP && (up.fwdBytes === 0 || down.fwdBytes === 0)) return null;
  if (down.syn <= up.syn) return null;
  const acceptedAt = up.accept ?? up.syn;
  const dial = down.syn - acceptedAt;
  if (dial < -TOLERANCE_US || dial > DIAL_WINDOW_US) return null;
  // The proxy can only send the reply to the client after the server sent it (checked again
  // below for the cost; here only as an early exit when both legs carried a reply).
  if (up.fwdBytes > 0 && down.fwdBytes > 0 && up.revData !== null && down.revData !== null && up.revData < down.revData - TOLERANCE_US) return null;
  // The proxy dials somewhere else than the endpoint it accepted on (or it would call itself).
  if (sameEndpoint(up.node.server, down.node.server)) return null;
  // The proxy dials from its own address, never from the client's (a host process reaching a
  // published port from the very address the proxy would use goes through DNAT in OUTPUT).
  if (up.node.client.ip === down.node.client.ip) return null;
  let kind: RelayMatch['kind'];
  let cost = Math.max(0, dial);
  if (up.fwdBytes > 0 && down.fwdBytes > 0) {
    if (up.fwdDigest !== down.fwdDigest) return null;
    if (up.revBytes > 0 && down.revBytes > 0 && up.revDigest !== down.revDigest) return null;
    if (up.revBytes > 0 && down.revBytes === 0) return null;
    if (up.fwdData !== null && down.fwdData !== null) {
      if (down.fwdData < up.fwdData - TOLERANCE_US) return null;
      cost += Math.max(0, down.fwdData - up.fwdData);
    }
    if (up.revData !== null && down.revData !== null) {
      // The proxy can only send the reply to the client after the server sent it.
      if (up.revData < down.revData - TOLERANCE_US) return null;
      cost += Math.max(0, up.revData - down.revData);
    }
    kind = 'stream';
  } else if (down.rejected && down.fwdBytes === 0 && up.revBytes === 0) {
    // Proxy accepted, its upstream connection was refused: the client got nothing back.
    if (dial > NO_DATA_WINDOW_US) return null;
    kind = 'refused';
  } else if (up.fwdBytes === 0 && down.fwdBytes === 0 && up.revBytes === 0 && down.revBytes === 0) {
    if (dial > NO_DATA_WINDOW_US) return null;
    kind = 'no-data';
    cost += NO_DATA_WINDOW_US;
  } else {
    return null;
  }
  return { cost, kind };
}

/**
 * Pairs upstream and downstream relay ends one-to-one, lowest cost first (a global greedy
 * assignment: it settles identical-payload conversations by dial delay and data ordering).
 */
export function matchRelays(ends: readonly RelayEnd[]): RelayMatch[] {
  // Ends are referred to by position below (arrays, not maps keyed by group).
  const pos = new Map<RelayEnd, number>();
  const keys: string[] = new Array(ends.length);
  const buckets = new Map<string, RelayEnd[]>();
  ends.forEach((e, i) => {
    pos.set(e, i);
    const k = bucketKey(e);
    keys[i] = k;
    const b = buckets.get(k);
    if (b) b.push(e);
    else buckets.set(k, [e]);
  });
  for (const b of buckets.values()) b.sort((x, y) => x.syn - y.syn);
  interface Cand { up: RelayEnd; down: RelayEnd; u: number; d: number; cost: number; kind: RelayMatch['kind'] }
  const cands: Cand[] = [];
  const rivalsUp = new Int32Array(ends.length);
  const rivalsDown = new Int32Array(ends.length);
  const refused = buckets.get('refused');
  for (let u = 0; u < ends.length; u++) {
    const up = ends[u];
    const own = buckets.get(keys[u]);
    const lo = (up.accept ?? up.syn) - TOLERANCE_US;
    const hi = (up.accept ?? up.syn) + DIAL_WINDOW_US;
    for (let pass = 0; pass < 2; pass++) {
      let b: RelayEnd[] | undefined;
      if (pass === 0) b = own;
      else if (up.revBytes === 0 && keys[u] !== 'refused' && up.node.proto === PROTO_TCP) b = refused;
      if (!b) continue;
      for (let i = lowerBound(b, lo); i < b.length && b[i].syn <= hi; i++) {
        const down = b[i];
        const ev = evaluate(up, down);
        if (ev === null) continue;
        const d = pos.get(down)!;
        cands.push({ up, down, u, d, cost: ev.cost, kind: ev.kind });
        rivalsUp[u]++;
        rivalsDown[d]++;
      }
    }
  }
  // Candidates fall into small clusters (ends that compete for each other); each cluster is
  // settled by a minimum-total-delay assignment, large ones greedily by lowest delay.
  const uf = new UnionFind(ends.length);
  for (const c of cands) uf.union(c.u, c.d);
  const clusters = new Map<number, Cand[]>();
  for (const c of cands) {
    const k = uf.find(c.u);
    const l = clusters.get(k);
    if (l) l.push(c);
    else clusters.set(k, [c]);
  }
  const out: RelayMatch[] = [];
  const used = new Uint8Array(ends.length);
  const accept = (c: Cand): void => {
    used[c.u] = 1;
    used[c.d] = 1;
    const rivals = Math.max(rivalsUp[c.u] || 1, rivalsDown[c.d] || 1) - 1;
    out.push({ up: c.up, down: c.down, dialDelay: c.down.syn - (c.up.accept ?? c.up.syn), cost: c.cost, rivals, kind: c.kind });
  };
  for (const cl of clusters.values()) {
    const ups = [...new Set(cl.map((c) => c.u))];
    const downs = [...new Set(cl.map((c) => c.d))];
    // One relay per connection: a group may not be both an upstream and a downstream here,
    // which the bipartite assignment cannot express; those clusters go greedy.
    const both = ups.some((g) => downs.includes(g));
    if (cl.length === 1 || both || ups.length > 40 || downs.length > 40) {
      cl.sort((x, y) => x.cost - y.cost || x.up.syn - y.up.syn);
      // Chains built from unrelated identical-payload conversations (A's upstream leg
      // "relaying" into B's client leg) are refused: one relay per connection.
      for (const c of cl) if (used[c.u] === 0 && used[c.d] === 0) accept(c);
      continue;
    }
    const ui = new Map(ups.map((g, i) => [g, i]));
    const di = new Map(downs.map((g, i) => [g, i]));
    const cost = ups.map(() => new Array<number>(downs.length).fill(Infinity));
    const pick = ups.map(() => new Array<Cand | null>(downs.length).fill(null));
    for (const c of cl) {
      const i = ui.get(c.u)!;
      const j = di.get(c.d)!;
      if (c.cost < cost[i][j]) {
        cost[i][j] = c.cost;
        pick[i][j] = c;
      }
    }
    const asg = minCostAssignment(cost, downs.length);
    asg.forEach((j, i) => {
      if (j >= 0 && pick[i][j]) accept(pick[i][j]!);
    });
  }
  return out;
}

function lowerBound(b: readonly RelayEnd[], t: number): number {
  let lo = 0;
  let hi = b.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (b[m].syn < t) lo = m + 1;
    else hi = m;
  }
  return lo;
}

export function isRelayCandidate(n: ConnNode): boolean {
  if (n.proto === PROTO_UDP) return n.parts[0].fwd.streamBytes > 0;
  return n.proto === PROTO_TCP && (n.fwdIsn !== null || n.parts[0].fwd.packets > 0);
}
