/**
 * Orders the legs of one same-packet group along the packet's travel: by the clock-corrected time
 * of the client's first packet on each leg when that is one packet on all of them; else, or when
 * they saw it in the same microsecond, by the time of another packet every leg holds; last, by
 * where the interface sits on the path (ingress / loopback, then the bridge, then the
 * container's port — reversed for traffic leaving a container).
 */
import type { ConnNode } from './conn-node.js';
import { initialTtl } from './link-scope.js';

function ifaceRank(name: string): number {
  if (name === 'lo' || name.startsWith('lo')) return 0;
  if (name.startsWith('veth')) return 3;
  if (name.startsWith('docker') || name.startsWith('br-')) return 2;
  return 1;
}

function isContainerSide(n: ConnNode): boolean {
  const r = ifaceRank(n.iface);
  return r >= 2;
}

/**
 * True when the group carries traffic a container originates (its address is a client on the
 * bridge side only). Loops instead of sets: a group has a handful of legs.
 */
function leavesContainer(nodes: readonly ConnNode[]): boolean {
  let outer = 0;
  for (const o of nodes) {
    if (isContainerSide(o)) continue;
    outer++;
    for (const c of nodes) if (isContainerSide(c) && c.client.ip === o.client.ip) return false;
  }
  if (outer > 0) return true;
  // Only the bridge and a container's port: the client's packets there with the TTL a host
  // sends with (the container's own) and the replies one lower (routed in from elsewhere) are
  // a container calling out.
  const n = nodes[0];
  const reply = n.parts.length > 1 ? n.parts[1] : n.parts[0];
  const out = n.parts[0].fwd.firstTtl;
  const back = reply.rev.firstTtl;
  return out !== null && back !== null && initialTtl(out) && !initialTtl(back);
}

/** A connection the capture joined mid-way: neither handshake, every part without a SYN. */
export function joinedMidway(n: ConnNode): boolean {
  return n.fwdIsn === null && n.revIsn === null && n.parts.every((f) => f.midStream);
}

export function orderGroup(nodes: ConnNode[]): ConnNode[] {
  if (nodes.length === 1) return [nodes[0]];
  let egress: boolean | null = null;
  let shared: Map<ConnNode, number> | null | undefined;
  const sharedTimes = (): Map<ConnNode, number> | null => (shared === undefined ? (shared = sharedPacketTimes(nodes)) : shared);
  // Each leg's first client packet is the same packet, seen along the path, unless a capture
  // began later on one leg (or the capture joined the connection mid-way on all).
  const sameFirst = firstPacketsAgree(nodes);
  const cmp = (a: ConnNode, b: ConnNode): number => {
    if (sameFirst) {
      const dt = a.t0 - b.t0;
      if (dt !== 0) return dt;
    }
    // Else, or when those were seen in the same microsecond (a bridge forwards within it), a
    // packet every leg holds.
    const ta = sharedTimes()?.get(a);
    const tb = sharedTimes()?.get(b);
    if (ta !== undefined && tb !== undefined && ta !== tb) return ta - tb;
    if (!sameFirst && !(joinedMidway(a) && joinedMidway(b))) {
      const dt = a.t0 - b.t0;
      if (dt !== 0) return dt;
    }
    egress ??= leavesContainer(nodes);
    const ra = ifaceRank(a.iface);
    const rb = ifaceRank(b.iface);
    return egress ? rb - ra : ra - rb;
  };
  // Two legs (the common case): the stable sort's order without copying and sorting.
  if (nodes.length === 2) return cmp(nodes[0], nodes[1]) > 0 ? [nodes[1], nodes[0]] : [nodes[0], nodes[1]];
  return nodes.slice().sort(cmp);
}

/** Whether every leg's first client → server packet is the same packet (by packetKey). */
function firstPacketsAgree(nodes: readonly ConnNode[]): boolean {
  let first: string | null = null;
  for (const n of nodes) {
    const k = firstPacketKey(n);
    if (k === null) return false;
    if (first === null) first = k;
    else if (k !== first) return false;
  }
  return true;
}

function firstPacketKey(n: ConnNode): string | null {
  let best: string | null = null;
  let bestTs = Infinity;
  for (const f of n.parts) {
    const s = f.samples;
    for (let i = 0; i < s.count; i++) {
      if (s.dirAt(i) !== 0) continue;
      if (s.tsUsAt(i) < bestTs) {
        bestTs = s.tsUsAt(i);
        best = packetKey(s, i);
      }
      break;
    }
  }
  return best;
}

/** Packets of the first leg looked at for one every leg holds. */
const SHARED_SCAN = 64;

/**
 * When each leg saw one packet they all hold (same seq, IP ID, payload: what NAT keeps), on the
 * reference clock: a client → server packet's times, or a reply's negated (it travels the path
 * backwards), so that ascending times are the client's path either way. Null when the first
 * packets of the first leg are not on every other leg, or every leg saw the packet at once.
 */
function sharedPacketTimes(nodes: readonly ConnNode[]): Map<ConnNode, number> | null {
  for (const dir of [0, 1]) {
    const ref = nodes[0];
    const own = packetTimes(ref, dir);
    const others = nodes.slice(1).map((n) => packetTimes(n, dir));
    let scanned = 0;
    for (const f of ref.parts) {
      const s = f.samples;
      for (let i = 0; i < s.count && scanned < SHARED_SCAN; i++) {
        if (s.dirAt(i) !== dir) continue;
        scanned++;
        const key = packetKey(s, i);
        if (Number.isNaN(own.get(key))) continue;
        const times = others.map((m) => m.get(key));
        if (times.some((t) => t === undefined || Number.isNaN(t))) continue;
        const sign = dir === 0 ? 1 : -1;
        const out = new Map<ConnNode, number>([[ref, sign * (s.tsUsAt(i) - clockOffset(ref))]]);
        nodes.slice(1).forEach((n, k) => out.set(n, sign * (times[k]! - clockOffset(n))));
        // All at once says nothing: the next packet might.
        if (new Set(out.values()).size > 1) return out;
      }
    }
  }
  return null;
}

type Samples = ConnNode['parts'][number]['samples'];

/** What NAT keeps of a packet; an IPv6 pure ACK has no IP ID, so ack and timestamps count. */
function packetKey(s: Samples, i: number): string {
  return `${s.seqAt(i)}|${s.ackAt(i)}|${s.ipIdAt(i)}|${s.tsValAt(i)}|${s.tsEcrAt(i)}|${s.flagsAt(i) & 0x17}|${s.payloadHashAt(i)}|${s.payloadLenAt(i)}`;
}

/**
 * A leg's packets one way, by packetKey, with their raw times; NaN for a key seen twice (a
 * retransmission, or ACKs alike in every field): which copy is which is unknown.
 */
function packetTimes(n: ConnNode, dir: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of n.parts) {
    const s = f.samples;
    for (let i = 0; i < s.count; i++) {
      if (s.dirAt(i) !== dir) continue;
      const k = packetKey(s, i);
      m.set(k, m.has(k) ? NaN : s.tsUsAt(i));
    }
  }
  return m;
}

/** Raw time minus this, on the leg's file: the reference clock (t0 is firstUs corrected). */
function clockOffset(n: ConnNode): number {
  return n.firstUs - n.t0;
}
