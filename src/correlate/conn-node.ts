/**
 * A connection as seen at one capture point: one flow, or two half-flows of one TCP connection
 * joined (docker-nat-facts §3: with br_netfilter, the replies of a no-proxy localhost or hairpin
 * connection leave docker0 already reverse-NATed, so the two directions show different tuples).
 */
import type { Endpoint, Flow } from '../flows/flow.js';

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMP = 1;
export const PROTO_ICMP6 = 58;

const SYN = 0x02;
const ACK = 0x10;

export interface ConnNode {
  idx: number;
  /** parts[0] carries the client's packets; parts[1] (when joined) the reply half. */
  parts: Flow[];
  /** Positions of parts[0] and parts[1] (-1: none) in the flow list given to buildNodes. */
  flow0: number;
  flow1: number;
  ifaceKey: string;
  iface: string;
  file: string;
  fileIdx: number;
  proto: number;
  /** Tuple of the client → server packets on the wire here (ICMP: echo id as the client port). */
  client: Endpoint;
  server: Endpoint;
  /** Joined half-flow: the reply half's tuple (its client is the address replies are sent to). */
  replyClient: Endpoint | null;
  replyServer: Endpoint | null;
  fwdIsn: number | null;
  revIsn: number | null;
  /** First packet of the client → server direction (raw capture clock), or first packet at all. */
  firstUs: number;
  /** Clock-corrected time of the same packet, set once offsets are known. */
  t0: number;
  samples: number;
}

export function isIcmp(proto: number): boolean {
  return proto === PROTO_ICMP || proto === PROTO_ICMP6;
}

/** The endpoints the correlator compares: ICMP echo id stands in for the client port. */
export function wireEndpoints(f: Flow): { client: Endpoint; server: Endpoint } {
  if (isIcmp(f.proto)) {
    const id = f.icmp?.echoId ?? -1;
    return { client: { ip: f.src.ip, port: id }, server: { ip: f.dst.ip, port: -1 } };
  }
  return { client: f.src, server: f.dst };
}

export function endpointText(e: Endpoint): string {
  const ip = e.ip.includes(':') ? `[${e.ip}]` : e.ip;
  return e.port >= 0 ? `${ip}:${e.port}` : ip;
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.ip === b.ip && a.port === b.port;
}

function firstFwdUs(f: Flow): number {
  const s = f.samples;
  for (let i = 0; i < s.count; i++) if (s.dirAt(i) === 0) return s.tsUsAt(i);
  return f.firstUs;
}

export function makeNode(idx: number, parts: Flow[], fileIdx: number, flow0: number, flow1: number): ConnNode {
  const a = parts[0];
  const b = parts.length > 1 ? parts[1] : null;
  // The flow's own endpoints when they are the wire's (all but ICMP): no copies per node.
  const icmp = isIcmp(a.proto);
  const w = icmp ? wireEndpoints(a) : null;
  const reply = b !== null && isIcmp(b.proto) ? wireEndpoints(b) : null;
  let samples = a.samples.count;
  if (b !== null) samples += b.samples.count;
  const firstUs = a.fwd.packets > 0 ? firstFwdUs(a) : a.firstUs;
  return {
    idx,
    parts,
    flow0,
    flow1,
    ifaceKey: a.ifaceKey,
    iface: a.iface,
    file: a.file,
    fileIdx,
    proto: a.proto,
    client: w !== null ? w.client : a.src,
    server: w !== null ? w.server : a.dst,
    replyClient: b === null ? null : reply !== null ? reply.client : b.src,
    replyServer: b === null ? null : reply !== null ? reply.server : b.dst,
    fwdIsn: a.fwd.isn ?? b?.fwd.isn ?? null,
    revIsn: a.rev.isn ?? b?.rev.isn ?? null,
    firstUs,
    t0: firstUs,
    samples,
  };
}

/** The ack a half-flow's server sent in reply to the client's SYN (= client ISN + 1), or the first ack it sent. */
function replyAck(f: Flow): number | null {
  const s = f.samples;
  let first: number | null = null;
  for (let i = 0; i < s.count; i++) {
    if (s.dirAt(i) !== 1 || s.ackAt(i) < 0 || (s.flagsAt(i) & ACK) === 0) continue;
    if ((s.flagsAt(i) & (SYN | ACK)) === (SYN | ACK)) return s.ackAt(i);
    if (first === null) first = s.ackAt(i);
  }
  return first;
}

/**
 * Builds the connection nodes: every flow is one node, except TCP half-flows, which are joined
 * to the flow on the same interface whose client sequence space they acknowledge.
 */
export function buildNodes(flows: readonly Flow[], fileIndex: ReadonlyMap<string, number>): { nodes: ConnNode[]; joined: number } {
  // Reply halves: only the server's packets were seen on this tuple (the flow table marks both
  // halves of such a connection as halfFlow; the client half is the one that has a SYN / data).
  const halves: number[] = [];
  for (let i = 0; i < flows.length; i++) {
    const f = flows[i];
    if (f.halfFlow && f.proto === PROTO_TCP && f.fwd.packets === 0 && f.rev.packets > 0) halves.push(i);
  }
  // Partner of each flow by position (-1: none); only when there are halves to join.
  let partner: Int32Array | null = null;
  let joined = 0;
  if (halves.length > 0) {
    partner = new Int32Array(flows.length).fill(-1);
    const halfIfaces = new Set(halves.map((i) => flows[i].ifaceKey));
    // Client halves: a SYN (or data) went out, nothing came back on this tuple.
    const bySeq = new Map<string, number>();
    for (let j = 0; j < flows.length; j++) {
      const f = flows[j];
      if (f.proto !== PROTO_TCP || f.rev.packets > 0 || f.fwd.packets === 0 || !halfIfaces.has(f.ifaceKey)) continue;
      const s = f.samples;
      if (f.fwd.isn !== null) bySeq.set(`${f.ifaceKey}|${(f.fwd.isn + 1) >>> 0}`, j);
      for (let i = 0; i < s.count; i++) if (s.dirAt(i) === 0 && s.seqAt(i) >= 0) bySeq.set(`${f.ifaceKey}|${s.seqAt(i)}`, j);
    }
    for (const hi of halves) {
      const h = flows[hi];
      const ack = replyAck(h);
      if (ack === null) continue;
      const a = bySeq.get(`${h.ifaceKey}|${ack}`);
      if (a === undefined || partner[a] !== -1 || a === hi) continue;
      partner[a] = hi;
      partner[hi] = a;
      joined++;
    }
  }
  const udpJoined = joinUdpReplies(flows, partner);
  if (udpJoined !== null) {
    partner = udpJoined.partner;
    joined += udpJoined.joined;
  }
  const nodes: ConnNode[] = [];
  // A joined pair becomes one node where its first flow comes; the second is skipped.
  const done = partner !== null ? new Uint8Array(flows.length) : null;
  let lastFile: string | null = null;
  let fileIdx = 0;
  for (let i = 0; i < flows.length; i++) {
    const f = flows[i];
    if (done !== null && done[i] === 1) continue;
    const p = partner !== null ? partner[i] : -1;
    if (f.file !== lastFile) {
      lastFile = f.file;
      fileIdx = fileIndex.get(f.file) ?? 0;
    }
    if (p !== -1) {
      const halfIdx = f.fwd.packets === 0 ? i : p;
      const clientIdx = halfIdx === i ? p : i;
      done![clientIdx] = 1;
      done![halfIdx] = 1;
      nodes.push(makeNode(nodes.length, [flows[clientIdx], flows[halfIdx]], fileIdx, clientIdx, halfIdx));
    } else {
      nodes.push(makeNode(nodes.length, [f], fileIdx, i, -1));
    }
  }
  return { nodes, joined };
}

export function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/** TTL of the node's first client → server packet (`fwd`), or of its first server → client one. */
export function firstTtl(n: ConnNode, fwd = true): number | null {
  return fwd ? n.parts[0].fwd.firstTtl : (n.parts.length > 1 ? n.parts[1] : n.parts[0]).rev.firstTtl;
}

/**
 * UDP's reply halves (facts §3, as for TCP): with userland-proxy=false a host process's datagram
 * to 127.0.0.1:published leaves on the bridge MASQUERADEd (172.17.0.1:p → container) and the
 * container's answer, reverse-NATed at the bridge hook, shows there as container → 127.0.0.1:p.
 * No sequence space ties them: a datagram to a loopback address on a non-loopback interface is
 * itself the sign, joined to the request it answers (same ports, on the same interface, sent
 * before it from another address). Null when there is none.
 */
function joinUdpReplies(flows: readonly Flow[], partnerIn: Int32Array | null): { partner: Int32Array; joined: number } | null {
  let replies: number[] | null = null;
  for (let i = 0; i < flows.length; i++) {
    const f = flows[i];
    if (f.proto === PROTO_UDP && !f.halfFlow && f.rev.packets === 0 && f.fwd.packets > 0 && isLoopback(f.dst.ip) && !isLoopback(f.src.ip) && !f.iface.startsWith('lo')) (replies ??= []).push(i);
  }
  if (replies === null) return null;
  const partner = partnerIn ?? new Int32Array(flows.length).fill(-1);
  const requests = new Map<string, number[]>();
  for (let j = 0; j < flows.length; j++) {
    const r = flows[j];
    if (r.proto !== PROTO_UDP || r.rev.packets !== 0 || isLoopback(r.src.ip)) continue;
    const k = `${r.ifaceKey}|${r.dst.ip}|${r.dst.port}|${r.src.port}`;
    const l = requests.get(k);
    if (l === undefined) requests.set(k, [j]);
    else l.push(j);
  }
  let joined = 0;
  for (const i of replies) {
    const f = flows[i];
    const cands = requests.get(`${f.ifaceKey}|${f.src.ip}|${f.src.port}|${f.dst.port}`);
    if (cands === undefined) continue;
    // The latest request sent before the answer.
    let best = -1;
    for (const j of cands) if (partner[j] === -1 && flows[j].firstUs <= f.firstUs && (best === -1 || flows[j].firstUs > flows[best].firstUs)) best = j;
    if (best === -1) continue;
    partner[best] = i;
    partner[i] = best;
    orientAsReply(f);
    joined++;
  }
  return { partner, joined };
}

/**
 * Turns a flow recorded from its first datagram (the server's answer) into the reply half it is,
 * as the flow table records a TCP one: the client first, its packets the reverse direction.
 */
function orientAsReply(f: Flow): void {
  const src = f.src;
  f.src = f.dst;
  f.dst = src;
  const fwd = f.fwd;
  f.fwd = f.rev;
  f.rev = fwd;
  f.halfFlow = true;
  const dir = f.samples.dir;
  for (let i = 0; i < dir.length; i++) dir[i] = 1 - dir[i];
}