/**
 * Turns one chain of connection nodes into a Correlation: legs in path order, a hop per step
 * with its mechanism, rewrite, field diff and latency, evidence sentences with the real values,
 * notes, and the confidence.
 *
 * Two passes over the same steps: the first (at correlation time) decides mechanism, confidence
 * and notes; the second writes hops and evidence, only when a presenter reads them
 * (./lazy-correlation.ts). Each hop function does both, `ev === null` meaning the first pass.
 */
import type { Flow } from '../flows/flow.js';
import { isBridgeDevice, isUnnamedInterface, onBridgePort, PACKET_OUTGOING } from '../flows/interface-role.js';
import { HOST_CLIENT_NOTE, LOCAL_DNAT_NOTE, MECHANISMS, type Evidence, type FieldDiff, type Hop, type Mechanism } from './model.js';
import { endpointText, isIcmp, isLoopback, makeNode, PROTO_TCP, PROTO_UDP, type ConnNode } from './conn-node.js';
import { fieldDiffs, mechanismOf, rewriteText, samePath, tupleChange, tupleOf, type TupleChange } from './hop-fields.js';
import { matchSamePacket, type MatchIndex, type SamePacketMatch } from './same-packet.js';
import { relayDelay, relayEnd, type MidTransferFields, type RelayEnd, type RelayMatch } from './relay.js';
import { joinedMidway } from './path-order.js';
import type { HopToAttribute } from './rules/attribute-rule.js';
import { protoName } from './flow-summary.js';
import { LazyCorrelation, type CorrelationDetails, type Explainer } from './lazy-correlation.js';
import { initialTtl } from './link-scope.js';

export interface Segment {
  /** Same-packet copies of one connection, in path order. */
  nodes: ConnNode[];
  /** The relay that produced this connection from the previous segment's. */
  relayFromPrevious: RelayMatch | null;
}

interface HopResult {
  /** Written in the second pass only. */
  hop: Hop | null;
  mechanism: Mechanism;
  confidence: number;
  change: TupleChange | null;
}

/** What writing a same-packet hop reads of its match, seen from the hop's first node. */
interface SameFacts {
  reversed: boolean;
  matched: number;
  tsvalMatched: number;
  medianFwd: number;
  seqOffsetFwd: number | null;
  seqOffsetRev: number | null;
}

type RelayEndFacts = Pick<RelayEnd, 'syn' | 'fwdData' | 'revData' | 'fwdFin' | 'fwdBytes' | 'revBytes' | 'fwdDigest' | 'revDigest'>;

/** What writing a relay hop reads of its match (a RelayMatch is one). */
interface RelayFacts extends Pick<RelayMatch, 'dialDelay' | 'rivals' | 'rivalsAtLeast' | 'kind' | 'streamKey' | keyof MidTransferFields> {
  up: RelayEndFacts;
  down: RelayEndFacts;
}

function sameFacts(x: ConnNode, m: SamePacketMatch): SameFacts {
  return { reversed: m.a !== x.idx, matched: m.matched, tsvalMatched: m.tsvalMatched, medianFwd: m.medianFwd, seqOffsetFwd: m.seqOffsetFwd, seqOffsetRev: m.seqOffsetRev };
}

function attributeInput(mechanism: Mechanism, proto: number, bc: ConnNode['client'], bs: ConnNode['server'], ac: ConnNode['client'], as: ConnNode['server'], ingress: string | undefined, egress: string | undefined, localOrigin = false): HopToAttribute {
  const p = protoName(proto);
  return {
    mechanism, before: { proto: p, src: bc, dst: bs }, after: { proto: p, src: ac, dst: as },
    ...(ingress === undefined ? {} : { ingressIface: ingress }),
    ...(egress === undefined ? {} : { egressIface: egress }),
    ...(localOrigin ? { localOrigin } : {}),
  };
}

/**
 * The interface a rule's -i / -o sees for a leg: a container's veth is a bridge port, and the
 * host routes (and NATs) its packets as the bridge device's, so `-o docker0` matches a packet
 * the hairpin sends back to a veth and `! -o docker0` does not. The bridge is the other leg when
 * that leg is one; otherwise it is not known (undefined: any interface rule may match).
 */
function netfilterIface(n: ConnNode, other: ConnNode): string | undefined {
  if (onBridgePort(n.parts[0]) !== true) return n.iface;
  return isBridgeDevice(other.iface) ? other.iface : undefined;
}


function label(n: ConnNode, other: ConnNode): string {
  return n.iface === other.iface ? `${n.iface} (${n.parts[0].id})` : n.iface;
}

function usText(us: number): string {
  const a = Math.abs(us);
  if (a >= 1e6) return `${(us / 1e6).toFixed(3)} s`;
  if (a >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
  return `${Math.round(us)} µs`;
}

function firstLegId(n: ConnNode): string {
  return n.parts.length > 1 ? n.parts[1].id : n.parts[0].id;
}

function seconds(us: number): number {
  return Math.round(us) / 1e6;
}

function halfHop(n: ConnNode, ev: Evidence[] | null, notes: string[] | null): HopResult {
  const client = n.parts[0];
  const half = n.parts[1];
  const rc = n.replyClient!;
  const rs = n.replyServer!;
  const change: TupleChange = {
    srcIp: rc.ip !== n.client.ip,
    srcPort: rc.port !== n.client.port,
    dstIp: rs.ip !== n.server.ip,
    dstPort: rs.port !== n.server.port,
  };
  let mechanism: Mechanism = mechanismOf(change);
  // The request the host sent (initial TTL) from an address of its own outside the container's
  // network (14 with userland-proxy=false): like a loopback client, routed for a local destination.
  const hostAddress = !isLoopback(rc.ip) && rc.ip.includes('.') && !sameSlash16(rc.ip, n.server.ip) && initialTtl(client.fwd.firstTtl);
  if ((isLoopback(rc.ip) || hostAddress) && !change.dstIp) {
    // A loopback client cannot reach a container address except through DNAT in OUTPUT.
    mechanism = 'dnat+snat';
    notes?.push(
      isLoopback(rc.ip)
        ? `the client is ${endpointText(rc)} (loopback): it connected to a local address that DNAT in OUTPUT sent to ${endpointText(n.server)}, and MASQUERADE rewrote the source to ${endpointText(n.client)} (no-proxy localhost, route_localnet=1); the pre-DNAT destination is not on the wire`
        : `the client is ${endpointText(rc)}, ${HOST_CLIENT_NOTE} (its packets left with TTL ${client.fwd.firstTtl}): it connected to a local address that DNAT in OUTPUT sent to ${endpointText(n.server)}, and MASQUERADE from LOCAL rewrote the source to ${endpointText(n.client)} (userland-proxy=false); the pre-DNAT destination is not on the wire`,
    );
  }
  let hop: Hop | null = null;
  if (ev !== null) {
    // Each endpoint's text is written once and used in every sentence that names it.
    const rsText = endpointText(rs);
    const rcText = endpointText(rc);
    const clientText = endpointText(n.client);
    const serverText = endpointText(n.server);
    if (n.proto === PROTO_UDP) {
      // No sequence space: the answer's ports and its loopback destination tie it to the request.
      const after = half.firstUs - client.firstUs;
      ev.push({
        kind: 'reply',
        detail: `replies ${rsText} → ${rcText} on ${n.iface} answer ${clientText} → ${serverText} (the same ports, ${usText(after)} later; a loopback destination outside lo): one exchange, reverse-NATed at the bridge hook before the capture point`,
        weight: 0.6,
        flows: [half.id, client.id],
        delay: seconds(after),
      });
    } else {
      ev.push({
        kind: 'ack',
        detail: `replies ${rsText} → ${rcText} on ${n.iface} acknowledge ISN ${client.fwd.isn ?? '?'} of ${clientText} → ${serverText}: one connection, reverse-NATed at the bridge hook before the capture point`,
        weight: 0.9,
        flows: [half.id, client.id],
        ...(client.fwd.isn === null ? {} : { values: [client.fwd.isn, client.fwd.isn] }),
      });
    }
    // No packet on the wire carries rc as a source: it is read from the replies, so say so.
    const dst = change.dstIp || change.dstPort
      ? `, dst ${rsText} → ${serverText}`
      : mechanism === 'dnat+snat'
        ? // A loopback source reaches a container only through DNAT; a host address could also
          // have connected to it directly (see the explanation).
          ` (the DNAT to ${serverText} ${isLoopback(rc.ip) ? 'happened' : 'most likely happened'} in nat OUTPUT, before any capture point)`
        : '';
    const rewrite = `src ${rcText} → ${clientText}${dst}; read from the replies ${rsText} → ${rcText} on ${n.iface}, reverse-NATed before the capture point`;
    hop = {
      from: half.id,
      to: client.id,
      mechanism,
      rewrite,
      rule: null,
      latency: null,
      fields: [
        { field: 'src-ip', from: rc.ip, to: n.client.ip, verdict: rc.ip === n.client.ip ? 'preserved' : 'rewritten' },
        { field: 'src-port', from: String(rc.port), to: String(n.client.port), verdict: rc.port === n.client.port ? 'preserved' : 'rewritten' },
        ...(mechanism === 'dnat+snat' && !change.dstIp
          ? // DNAT in OUTPUT, before any capture point: from a loopback source the address was a
            // local one, never the container's, but which one (and its port) is on no wire. From a
            // host address the capture cannot tell DNAT from a direct connection: no claim.
            isLoopback(rc.ip) ? [{ field: 'dst-ip', from: '—', to: n.server.ip, verdict: 'rewritten' as const }] : []
          : [
              { field: 'dst-ip', from: rs.ip, to: n.server.ip, verdict: rs.ip === n.server.ip ? 'preserved' as const : 'rewritten' as const },
              { field: 'dst-port', from: String(rs.port), to: String(n.server.port), verdict: rs.port === n.server.port ? 'preserved' as const : 'rewritten' as const },
            ]),
      ],
    };
  }
  return {
    hop,
    mechanism,
    confidence: 0.9,
    change: mechanism === 'dnat+snat' ? { srcIp: true, srcPort: false, dstIp: true, dstPort: false } : change,
  };
}

function halfAttribute(n: ConnNode, mechanism: Mechanism): HopToAttribute {
  const rc = n.replyClient!;
  // dnat+snat here is a host process's connection (see halfHop): generated locally, it had no
  // input interface, whatever address it was sent from.
  return attributeInput(mechanism, n.proto, rc, n.replyServer!, n.client, n.server, isLoopback(rc.ip) ? 'lo' : n.iface, n.iface, mechanism === 'dnat+snat');
}

/** A seqadj offset seen from the other side. */
function negSeq(x: number | null): number | null {
  return x === null ? null : (4294967296 - x) % 4294967296;
}

/** `m` as found (a → b); `x`, `y` in path order, which may be b → a. */
function samePacketHop(x: ConnNode, y: ConnNode, m: SameFacts, ev: Evidence[] | null, notes: string[] | null): HopResult {
  const reversed = m.reversed;
  const seqOffsetFwd = reversed ? negSeq(m.seqOffsetFwd) : m.seqOffsetFwd;
  const seqOffsetRev = reversed ? negSeq(m.seqOffsetRev) : m.seqOffsetRev;
  const c = tupleChange(x, y);
  const tcp = x.proto === PROTO_TCP;
  // Labels are text for evidence, or for the seqadj note: not written when neither is.
  const labels = ev !== null || (notes !== null && tcp && (seqOffsetFwd !== null || seqOffsetRev !== null));
  const lx = labels ? label(x, y) : '';
  const ly = labels ? label(y, x) : '';
  const fx = x.parts[0].id;
  const fy = firstLegId(y);
  let confidence: number;
  if (tcp) {
    const seqadj = seqOffsetFwd !== null || seqOffsetRev !== null;
    if (ev !== null && !seqadj && x.fwdIsn !== null && x.fwdIsn === y.fwdIsn) ev.push({ kind: 'isn', detail: `SYN ISN ${x.fwdIsn} identical on ${lx} and ${ly}`, weight: 0.5, flows: [fx, fy], values: [x.fwdIsn, y.fwdIsn!] });
    if (ev !== null && !seqadj && x.revIsn !== null && x.revIsn === y.revIsn) ev.push({ kind: 'isn', detail: `SYN-ACK ISN ${x.revIsn} identical on ${lx} and ${ly}`, weight: 0.3, flows: [fx, fy], values: [x.revIsn, y.revIsn!] });
    if (seqadj) {
      const parts: string[] = [];
      if (seqOffsetFwd !== null && seqOffsetFwd !== 0) parts.push(`client→server ${seqOffsetFwd}`);
      if (seqOffsetRev !== null && seqOffsetRev !== 0) parts.push(`server→client ${seqOffsetRev}`);
      ev?.push({ kind: 'seq-offset', detail: `seq numbers differ by a constant between ${lx} and ${ly} (${parts.join(', ') || '0'}); ${x.client.ip.includes(':') ? 'payload matches' : 'IP ID and payload match'}`, weight: 0.3, flows: [fx, fy] });
      notes?.push(`NAT helper or SYNPROXY suspected: constant seq offset between ${lx} and ${ly} (${parts.join(', ')})`);
    }
    confidence = seqadj ? 0.85 : x.fwdIsn !== null && x.revIsn !== null && x.revIsn === y.revIsn ? 0.99 : 0.96;
  } else {
    confidence = Math.min(0.97, 0.75 + 0.05 * m.matched);
  }
  const mech = mechanismOf(c);
  let hop: Hop | null = null;
  if (ev !== null) {
    // Seen from x: the delays negate (the median of negated delays is the negated median).
    const dF = reversed ? -m.medianFwd : m.medianFwd;
    const corrected = Number.isNaN(dF) ? NaN : dF - (y.firstUs - y.t0) + (x.firstUs - x.t0);
    ev.push({
      kind: 'packets',
      // IPv6 has no IP ID (the matcher compares it only where there is one).
      detail: `${m.matched} packet${m.matched === 1 ? '' : 's'} identical on ${lx} and ${ly} in ${ipIdWords(x, tcp, m.tsvalMatched > 0)}payload${partlyKept(x) || partlyKept(y) ? ' (where the capture kept it whole)' : ''}${Number.isNaN(corrected) ? '' : `; ${ly} copy ${usText(corrected)} after ${lx}`}`,
      weight: 0.3,
      flows: [fx, fy],
      count: m.matched,
      ...(Number.isNaN(corrected) ? {} : { delay: seconds(corrected) }),
    });
    const tsv = x.parts[0].fwd.firstTsVal;
    // Matched packets carried the same TSval on both sides; the first is the one named.
    if (m.tsvalMatched > 0 && tsv !== null) ev.push({ kind: 'tsval', detail: `TSval ${tsv} identical on ${lx} and ${ly}`, weight: 0.1, flows: [fx, fy], values: [tsv, tsv], count: m.tsvalMatched });
    const ttlX = x.parts[0].fwd.firstTtl;
    const ttlY = y.parts[0].fwd.firstTtl;
    if (ttlX !== null && ttlY !== null) {
      const how = ttlY === ttlX - 1 ? 'decremented: routed by the host' : ttlY === ttlX ? 'unchanged' : 'changed';
      ev.push({ kind: 'ttl', detail: `${ttlName(x)} ${ttlX} on ${lx}, ${ttlY} on ${ly} (${how})`, weight: 0.05, flows: [fx, fy], values: [ttlX, ttlY] });
    }
    const rewrite = rewriteText(x, y, c);
    const tx = tupleOf(x);
    const ty = mech === 'bridge' ? tx : tupleOf(y);
    ev.push({ kind: 'tuple', detail: mech === 'bridge' ? `same tuple ${tx} on ${lx} and ${ly} (${samePathText(x, y)})` : `${rewrite} between ${lx} and ${ly}`, weight: 0.1, flows: [fx, fy], values: [tx, ty] });
    hop = {
      from: fx,
      to: fy,
      mechanism: mech,
      rewrite,
      rule: null,
      // Joined mid-way, each copy's first packet is wherever its tcpdump started: the packets
      // both copies hold say when one followed the other.
      latency: joinedMidway(x) && joinedMidway(y) && !Number.isNaN(corrected) ? seconds(corrected) : seconds(y.t0 - x.t0),
      fields: fieldDiffs(x, y, false, seqOffsetFwd),
    };
  }
  if (notes !== null && (c.srcIp || c.srcPort) && c.srcPort && x.client.port >= 0 && y.client.port >= 0) {
    notes.push(
      isIcmp(x.proto)
        ? `ICMP echo id remapped ${x.client.port} → ${y.client.port} (another conversation already held ${x.client.port})`
        : `source port remapped ${x.client.port} → ${y.client.port} (the port was taken: SNAT/MASQUERADE picked another)`,
    );
  }
  return { hop, mechanism: mech, confidence, change: c };
}

/** Whether the capture kept only part of either direction's payload (snaplen, lost packets). */
function partlyKept(n: ConnNode): boolean {
  for (const f of n.parts) if (f.fwd.gapBytes > 0 || f.rev.gapBytes > 0) return true;
  return false;
}

/**
 * A relayed stream the capture cut short (snaplen, or lost packets): what was compared. Its length
 * comes from the TCP sequence numbers (UDP: the datagrams' lengths), which the capture keeps.
 */
function cutStreamText(dir: string, carried: string, from: string, to: string, bytes: number, compared: number): string {
  const kept = compared > 0 ? `its first ${compared} B, kept on both sides, identical` : 'no byte of it kept on both sides to compare';
  return `${dir} ${carried} the same length on ${from} and ${to} (${bytes} B; the capture kept only part of it: ${kept})`;
}

/** The tuple evidence's word for a hop without NAT: `routed, no NAT`, `bridged` or what the MACs and TTL show. */
function samePathText(x: ConnNode, y: ConnNode): string {
  const path = samePath(x, y);
  return path === 'routed' ? 'routed, no NAT' : path;
}

function relayHop(r: RelayFacts, x: ConnNode, y: ConnNode, identical: Map<string, number>, ev: Evidence[] | null, notes: string[] | null): HopResult {
  const up = r.up;
  const down = r.down;
  // Labels are text for evidence, or for the refused note: not written when neither is.
  const labels = ev !== null || (notes !== null && r.kind === 'refused');
  const lx = labels ? label(x, y) : '';
  const ly = labels ? label(y, x) : '';
  let confidence: number;
  // UDP has no handshake and no stream: the proxy's first datagram is its "dial".
  const udp = x.proto === PROTO_UDP;
  const carried = udp ? 'datagrams' : 'byte stream';
  // Each endpoint's text is written once and used in every sentence that names it.
  const xc = labels ? endpointText(x.client) : '';
  const xs = ev !== null ? endpointText(x.server) : '';
  const yc = ev !== null ? endpointText(y.client) : '';
  const ys = labels ? endpointText(y.server) : '';
  const fx = x.parts[0].id;
  const fy = firstLegId(y);
  const mid = r.kind === 'mid-stream';
  const midTransfer = r.kind === 'mid-transfer';
  // A transfer caught mid-way is timed by its larger stream's end (relay.ts relayDelay).
  const revLarger = up.revBytes >= up.fwdBytes;
  ev?.push({
    kind: 'timing',
    detail: udp
      ? `${yc} → ${ys} first datagram on ${ly} ${usText(r.dialDelay)} after ${xc} → ${xs} first datagram on ${lx}`
      : mid
        ? `both connections were open before the capture began (neither handshake is in it): ${yc} → ${ys} on ${ly} carried its first request ${usText(r.dialDelay)} after ${xc} → ${xs} on ${lx}`
        : midTransfer
          ? `both connections were open, in the middle of a transfer, when the capture began (neither handshake is in it): the ${revLarger ? 'server→client' : 'client→server'} stream's ${(revLarger ? r.revAnchored : r.fwdAnchored) > 0 ? 'bytes' : 'last byte'} reached ${revLarger ? lx : ly} ${usText(r.dialDelay)} after ${(revLarger ? r.revAnchored : r.fwdAnchored) > 0 ? 'they' : 'it'} crossed ${revLarger ? ly : lx}`
          : `${yc} → ${ys} opened on ${ly} ${usText(r.dialDelay)} after ${xs} accepted ${xc} on ${lx}`,
    weight: 0.2,
    flows: [fx, fy],
    values: [`${xc} → ${xs}`, `${yc} → ${ys}`],
    delay: seconds(r.dialDelay),
  });
  if (r.kind === 'stream' || mid) {
    if (ev !== null) {
      // The relay matched whole streams by digest: one digest is both sides' value. A stream the
      // capture cut short matched on its length and the first bytes both sides kept.
      ev.push(
        r.fwdCompared < 0
          ? { kind: 'payload', detail: `client→server ${carried} identical on ${lx} and ${ly} (${up.fwdBytes} B, digest ${up.fwdDigest!.slice(0, 12)}…)`, weight: 0.4, flows: [fx, fy], values: [up.fwdDigest!, up.fwdDigest!], count: up.fwdBytes }
          : { kind: 'payload', detail: cutStreamText('client→server', carried, lx, ly, up.fwdBytes, r.fwdCompared), weight: 0.25, flows: [fx, fy], values: [up.fwdBytes, up.fwdBytes], count: up.fwdBytes },
      );
      if (up.revBytes > 0 && down.revBytes > 0) {
        ev.push(
          r.revCompared < 0
            ? { kind: 'payload', detail: `server→client ${carried} identical on ${ly} and ${lx} (${up.revBytes} B, digest ${up.revDigest!.slice(0, 12)}…)`, weight: 0.2, flows: [fy, fx], values: [up.revDigest!, up.revDigest!], count: up.revBytes }
            : { kind: 'payload', detail: cutStreamText('server→client', carried, ly, lx, up.revBytes, r.revCompared), weight: 0.1, flows: [fy, fx], values: [up.revBytes, up.revBytes], count: up.revBytes },
        );
      }
      if (up.fwdData !== null && down.fwdData !== null) ev.push({ kind: 'order', detail: `request relayed ${usText(down.fwdData - up.fwdData)} after it arrived on ${lx}${up.revData !== null && down.revData !== null ? `; response relayed ${usText(up.revData - down.revData)} after it arrived on ${ly}` : ''}`, weight: 0.1, flows: [fx, fy], delay: seconds(down.fwdData - up.fwdData) });
    }
    confidence = up.revBytes > 0 && down.revBytes > 0 ? 0.93 : 0.88;
    // Equal lengths and a few equal first bytes say less than equal digests of every byte.
    if (r.fwdCompared >= 0 || r.revCompared >= 0) confidence -= 0.1;
    // Without the openings there is no dial to time: streams and their order only.
    if (mid) {
      confidence = 0.8;
      notes?.push(`both connections were open before the capture began: paired by the identical byte streams they carried after it, each way, and their order, not by the proxy's dial`);
    }
  } else if (midTransfer) {
    if (ev !== null) {
      if (r.fwdCompared > 0 || r.fwdAnchored > 0) ev.push(transferEvidence('client→server', lx, ly, up.fwdBytes, down.fwdBytes, r.fwdCompared, r.fwdAnchored, r.fwdShift, [fx, fy]));
      if (r.revCompared > 0 || r.revAnchored > 0) ev.push(transferEvidence('server→client', ly, lx, down.revBytes, up.revBytes, r.revCompared, r.revAnchored, r.revShift, [fy, fx]));
    }
    const anchored = r.fwdAnchored > 0 || r.revAnchored > 0;
    const held = Math.max(r.fwdShift, 0) + Math.max(r.revShift, 0);
    notes?.push(
      `both connections were open, in the middle of a transfer, when the capture began: paired by ${anchored ? 'the bytes both copies of each stream hold at one offset (content-defined anchors; the capture stopped before the transfer ended)' : 'the identical last bytes of their streams and when each stream ended'}, not by the proxy's dial` +
        (held > 0 ? `; the proxy held ${bytesText(held)} of it when the capture began` : ''),
    );
    const ways = (r.fwdCompared > 0 || r.fwdAnchored > 0 ? 1 : 0) + (r.revCompared > 0 || r.revAnchored > 0 ? 1 : 0);
    confidence = ways === 2 ? 0.8 : 0.75;
  } else if (r.kind === 'refused') {
    ev?.push({ kind: 'refused', detail: `SYN to ${ys} on ${ly} answered by RST while ${lx} had accepted ${xc}`, weight: 0.3, flows: [fx, fy] });
    notes?.push(`the proxy accepted ${xc} on ${lx} but its upstream connection to ${ys} was refused (RST); the client's connection was then closed without a reply`);
    confidence = 0.6;
  } else {
    ev?.push({ kind: 'timing', detail: 'neither connection carried data: paired on timing alone', weight: 0.1 });
    confidence = 0.4;
  }
  if (ev !== null) {
    if (x.fwdIsn !== null && y.fwdIsn !== null) ev.push({ kind: 'isn', detail: `ISN unrelated (${x.fwdIsn} on ${lx}, ${y.fwdIsn} on ${ly}): two TCP connections, not one rewritten`, weight: 0.1, flows: [fx, fy], values: [x.fwdIsn, y.fwdIsn] });
    if (up.fwdFin !== null && down.fwdFin !== null) ev.push({ kind: 'fin', detail: `client close on ${lx} propagated to ${ly} after ${usText(down.fwdFin - up.fwdFin)}`, weight: 0.05, flows: [fx, fy], delay: seconds(down.fwdFin - up.fwdFin) });
  }
  if (r.rivals > 0) {
    confidence = Math.max(0.5, confidence - Math.min(0.3, 0.05 * r.rivals));
    if (ev !== null) {
      const same = r.streamKey !== null ? (identical.get(r.streamKey) ?? 1) : 1;
      // Streams compared by length (a capture cut them short) are alike, not known identical.
      const byLength = r.fwdCompared >= 0;
      ev.push({
        kind: 'ambiguity',
        detail: midTransfer
          ? `${r.rivalsAtLeast ? 'at least ' : ''}${r.rivals} other connection${r.rivals === 1 ? '' : 's'} ending with the same bytes could have been the relay; paired by when the streams ended`
          : `${r.rivalsAtLeast ? 'at least ' : ''}${r.rivals} other connection${r.rivals === 1 ? '' : 's'} with ${same > 1 ? (byLength ? 'payloads of the same length' : 'identical payloads') : 'compatible timing'} could have been the relay${same > 1 ? ` (${same} carry ${byLength ? 'a stream of this length' : 'this byte stream'})` : ''}; paired by dial delay and data ordering`,
        weight: -0.1,
        count: r.rivals,
      });
    }
  }
  let hop: Hop | null = null;
  if (ev !== null) {
    hop = {
      from: fx,
      to: fy,
      mechanism: 'userland-proxy',
      rewrite: `new ${udp ? 'socket' : 'connection'}: ${xc} → ${xs} relayed as ${yc} → ${ys}`,
      rule: null,
      // From one leg's opening to the next's: unknown when the capture holds neither.
      latency: mid || midTransfer ? null : seconds(down.syn - up.syn),
      fields: midTransfer ? withTailPayload(fieldDiffs(x, y, true, null), up, down, r, revLarger) : fieldDiffs(x, y, true, null),
    };
  }
  return { hop, mechanism: 'userland-proxy', confidence, change: null };
}

/**
 * One stream of a transfer the capture joined mid-way, seen nearer its sender (`from`, `sBytes`)
 * and nearer its receiver (`to`, `rBytes`): what tied the two copies (their common end, or the
 * anchors they hold at one offset) and how far apart they started (`shift`: the bytes only the
 * receiver's side saw first, those the proxy held when the capture began).
 */
function transferEvidence(dir: string, from: string, to: string, sBytes: number, rBytes: number, compared: number, anchored: number, shift: number, flows: [string, string]): Evidence {
  const start =
    shift > 0
      ? `${to}'s copy starts ${shift} B earlier in the stream: bytes the proxy held when the capture began`
      : shift < 0
        ? `${to}'s copy starts ${-shift} B later in the stream: its capture began after ${from}'s`
        : 'both copies start at the same byte';
  const detail =
    anchored > 0
      ? `${dir} byte stream: ${anchored} content-defined anchors identical on ${from} and ${to}, at one offset; ${start}; the capture stopped before the stream ended (${sBytes} B on ${from}, ${rBytes} B on ${to})`
      : shift === 0
        ? `${dir} byte stream as long on ${from} as on ${to} after the capture began (${sBytes} B), ${compared >= sBytes ? 'every byte' : `its last ${compared} B`} identical`
        : `${dir} byte stream ends alike on ${from} and ${to} (${compared >= sBytes ? `all ${sBytes} B ${from} saw of it` : `its last ${compared} B`}, identical); ${to} saw ${shift} B more of it (${rBytes} B against ${sBytes} B): bytes the proxy held when the capture began`;
  return { kind: 'payload', detail, weight: 0.3, flows, values: [sBytes, rBytes], count: anchored > 0 ? anchored : compared, offset: shift };
}

/**
 * A transfer joined mid-way carried its payload over, though each side saw another span of it:
 * the verdict comes from the relay's comparison of the two copies (whole-stream digests of two
 * spans differ), on the larger stream.
 */
function withTailPayload(fields: FieldDiff[], up: RelayEndFacts, down: RelayEndFacts, r: RelayFacts, revLarger: boolean): FieldDiff[] {
  const out = fields.filter((f) => f.field !== 'payload');
  const [upBytes, downBytes, compared, anchored] = revLarger ? [up.revBytes, down.revBytes, r.revCompared, r.revAnchored] : [up.fwdBytes, down.fwdBytes, r.fwdCompared, r.fwdAnchored];
  const how = anchored > 0 ? `${anchored} anchors` : `last ${compared} B`;
  out.push({ field: 'payload', from: `${upBytes} B, ${how}`, to: `${downBytes} B, ${how}`, verdict: 'preserved' });
  return out;
}

/** A byte count for a sentence: "52624 B (51.4 KiB)". */
function bytesText(n: number): string {
  return n < 1024 ? `${n} B` : `${n} B (${(n / 1024).toFixed(1)} KiB)`;
}

/** A flow from a container address to the same address on a bridge-side interface. */
/** "seq/ack, IP ID, TSval and " as far as the packets carry them. */
function ipIdWords(n: ConnNode, tcp: boolean, tsval: boolean): string {
  const parts: string[] = [];
  if (tcp) parts.push('seq/ack');
  if (!n.client.ip.includes(':')) parts.push('IP ID');
  if (tsval) parts.push('TSval');
  return parts.length === 0 ? '' : `${parts.join(', ')} and `;
}

/** IPv4's TTL is IPv6's hop limit. */
function ttlName(n: ConnNode): string {
  return n.client.ip.includes(':') ? 'Hop limit' : 'TTL';
}

/** Initial TTLs of common stacks: a packet carrying one was sent by this host, not forwarded. */
function sameSlash16(a: string, b: string): boolean {
  const i = a.indexOf('.', a.indexOf('.') + 1);
  return i > 0 && a.slice(0, i) === b.slice(0, b.indexOf('.', b.indexOf('.') + 1));
}

/**
 * A connection this host sent into the bridge (seen on the bridge device, then on a container's port)
 * with an initial TTL (not forwarded) from an IPv4 address outside the container's /16. A host
 * process connecting to a container's address gets the bridge's own address as its source; one
 * that keeps another address had its route chosen for another destination, a local one, that
 * nat OUTPUT then DNATed to the container (docker-nat-facts.md §1: a host process calling a
 * published port on the host's own address; nothing appears on lo). The one other way is a
 * process that bound its socket to that address, which the explanation says.
 */
function isLocalOriginDnat(nodes: readonly ConnNode[]): boolean {
  if (nodes.length < 2) return false;
  const a = nodes[0];
  if ((a.proto !== PROTO_TCP && a.proto !== PROTO_UDP) || a.parts.length !== 1) return false;
  if (a.iface.startsWith('lo') || onBridgePort(a.parts[0]) !== false || onBridgePort(nodes[1].parts[0]) !== true) return false;
  // Sent into the bridge by this host: first seen on the bridge itself. On another interface
  // (eth0) it came in from outside, its TTL the sender's (a client one hop away), and was routed
  // to the container. An -i any capture with unnamed interfaces says which way it went.
  if (isUnnamedInterface(a.iface)) {
    if (!(a.parts[0].sllPktTypesByDir?.fwd ?? []).includes(PACKET_OUTGOING)) return false;
  } else if (!isBridgeDevice(a.iface)) return false;
  if (!a.client.ip.includes('.') || isLoopback(a.client.ip)) return false;
  return initialTtl(a.parts[0].fwd.firstTtl) && !sameSlash16(a.client.ip, a.server.ip);
}

export function isSelfHairpin(n: ConnNode): boolean {
  // From a port to the same port of the same address is a crafted packet (a LAND attack), not a
  // container's ephemeral port calling its service port.
  return (n.proto === PROTO_TCP || n.proto === 17) && n.client.ip === n.server.ip && n.client.port !== n.server.port && !isLoopback(n.client.ip) && !n.iface.startsWith('lo');
}

/**
 * Shared by every correlation of one `correlate` run: what rebuilds connection nodes from flows
 * (per-file clock offsets), and the numbers of every correlation's matches in one column.
 */
export class DetailsContext {
  /** The numbers of the matches, correlation after correlation (NaN: null). */
  #nums = new Float64Array(1024);
  #size = 0;
  /** Plan texts are few and repeated: one string, and one decoded form, per distinct plan. */
  readonly #plans = new Map<string, Plan>();

  constructor(
    private readonly fileIndex: ReadonlyMap<string, number>,
    /** Clock offset applied to each file (by file index), microseconds. */
    private readonly offsetUs: Float64Array,
    readonly identical: Map<string, number>,
  ) {}

  get size(): number {
    return this.#size;
  }

  push(v: number | null): void {
    if (this.#size === this.#nums.length) {
      const grown = new Float64Array(this.#nums.length * 2);
      grown.set(this.#nums);
      this.#nums = grown;
    }
    this.#nums[this.#size++] = v === null ? NaN : v;
  }

  num(i: number): number {
    return this.#nums[i];
  }

  numOrNull(i: number): number | null {
    const v = this.#nums[i];
    return Number.isNaN(v) ? null : v;
  }

  plan(text: string): Plan {
    let p = this.#plans.get(text);
    if (p === undefined) {
      p = parsePlan(text);
      this.#plans.set(text, p);
    }
    return p;
  }

  /** The clock offset applied to the node's file, microseconds. */
  offsetOf(n: ConnNode): number {
    return this.offsetUs[n.fileIdx];
  }

  /** The node as buildNodes made it, its clock-corrected time as correlate set it. */
  node(parts: Flow[]): ConnNode {
    const fileIdx = this.fileIndex.get(parts[0].file) ?? 0;
    const n = makeNode(-1, parts, fileIdx, -1, -1);
    n.t0 = n.firstUs - this.offsetUs[fileIdx];
    return n;
  }
}

const enum StepKind {
  Half,
  Same,
  Relay,
}

/** One hop: its kind, the node it ends at (by position in the correlation), its mechanism. */
interface PlanStep {
  kind: StepKind;
  node: number;
  mech: Mechanism;
}

/** A correlation's shape: parts per node, then its steps. */
interface Plan {
  text: string;
  partCounts: number[];
  steps: PlanStep[];
  mechs: readonly Mechanism[];
  hairpin: boolean;
  /** The host sent it into the bridge from an outside address: DNAT in nat OUTPUT (isLocalOriginDnat). */
  localDnat: boolean;
}

const STEP_CHARS = ['h', 's', 'r'];

/**
 * `<parts per node, one digit each>;<step>,<step>...;<0 | 1 hairpin | 2 local DNAT>`, a step being
 * `<h|s|r><node>.<mechanism index>`.
 */
function parsePlan(text: string): Plan {
  const [counts, stepText, inferred] = text.split(';');
  const steps = stepText === ''
    ? []
    : stepText.split(',').map((t) => {
      const dot = t.indexOf('.');
      return { kind: STEP_CHARS.indexOf(t[0]) as StepKind, node: Number(t.slice(1, dot)), mech: MECHANISMS[Number(t.slice(dot + 1))] };
    });
  return { text, partCounts: [...counts].map(Number), steps, mechs: steps.map((s) => s.mech), hairpin: inferred === '1', localDnat: inferred === '2' };
}

/** Numbers kept per same-packet step / relay step (see Details). */
const SAME_NUMS = 6;
const RELAY_NUMS = 22;

/**
 * The hops of one correlation, found at correlation time and written on demand. Keeps no
 * connection node or match: the flows of its legs (in path order), a shared plan, and where its
 * match numbers sit in the context's column; nodes are rebuilt from the flows when written.
 */
class Details implements CorrelationDetails {
  constructor(
    private readonly ctx: DetailsContext,
    private readonly flows: readonly Flow[],
    private readonly planText: string,
    private readonly base: number,
    /** Per relay step: the upstream end's client → server and server → client digests, and its stream key. */
    private readonly digests: readonly (string | null)[] | null,
  ) {}

  /** Shared by every correlation of the same plan: read-only. */
  get hopMechanisms(): readonly Mechanism[] {
    return this.ctx.plan(this.planText).mechs;
  }

  #nodes(plan: Plan): ConnNode[] {
    const nodes: ConnNode[] = [];
    let k = 0;
    for (const c of plan.partCounts) {
      nodes.push(this.ctx.node(this.flows.slice(k, k + c)));
      k += c;
    }
    return nodes;
  }

  legCommunityIds(legs: readonly string[]): string[] {
    // A joined node lists its halves in the other order among the legs: look each one up.
    return legs.map((id) => this.flows.find((f) => f.id === id)?.communityId ?? '');
  }

  build(): { hops: Hop[]; evidence: Evidence[] } {
    const hops: Hop[] = [];
    const evidence: Evidence[] = [];
    const ctx = this.ctx;
    const plan = ctx.plan(this.planText);
    const nodes = this.#nodes(plan);
    let at = this.base;
    let relays = 0;
    for (const s of plan.steps) {
      const y = nodes[s.node];
      let h: HopResult;
      if (s.kind === StepKind.Half) h = halfHop(y, evidence, null);
      else if (s.kind === StepKind.Same) {
        const m: SameFacts = {
          reversed: ctx.num(at) === 1,
          matched: ctx.num(at + 1),
          tsvalMatched: ctx.num(at + 2),
          medianFwd: ctx.num(at + 3),
          seqOffsetFwd: ctx.numOrNull(at + 4),
          seqOffsetRev: ctx.numOrNull(at + 5),
        };
        at += SAME_NUMS;
        h = samePacketHop(nodes[s.node - 1], y, m, evidence, null);
      } else {
        const r: RelayFacts = {
          dialDelay: ctx.num(at),
          rivals: ctx.num(at + 1),
          kind: RELAY_KINDS[ctx.num(at + 2)],
          up: {
            syn: ctx.num(at + 3),
            fwdData: ctx.numOrNull(at + 4),
            revData: ctx.numOrNull(at + 5),
            fwdFin: ctx.numOrNull(at + 6),
            fwdBytes: ctx.num(at + 7),
            revBytes: ctx.num(at + 8),
            fwdDigest: this.digests![relays * 3],
            revDigest: this.digests![relays * 3 + 1],
          },
          down: {
            syn: ctx.num(at + 9),
            fwdData: ctx.numOrNull(at + 10),
            revData: ctx.numOrNull(at + 11),
            fwdFin: ctx.numOrNull(at + 12),
            fwdBytes: ctx.num(at + 21),
            revBytes: ctx.num(at + 13),
            fwdDigest: null,
            revDigest: null,
          },
          rivalsAtLeast: ctx.num(at + 14) === 1,
          fwdCompared: ctx.num(at + 15),
          revCompared: ctx.num(at + 16),
          fwdShift: ctx.num(at + 17),
          revShift: ctx.num(at + 18),
          fwdAnchored: ctx.num(at + 19),
          revAnchored: ctx.num(at + 20),
          streamKey: this.digests![relays * 3 + 2],
        };
        at += RELAY_NUMS;
        relays++;
        h = relayHop(r, nodes[s.node - 1], y, ctx.identical, evidence, null);
      }
      hops.push(h.hop!);
    }
    if (plan.hairpin) {
      const only = nodes[0];
      evidence.push({ kind: 'tuple', detail: `${endpointText(only.client)} → ${endpointText(only.server)} on ${only.iface}: a container talking to its own address across the bridge`, weight: 0.6 });
    }
    if (plan.localDnat) {
      const n = nodes[0];
      const ttl = n.parts[0].fwd.firstTtl;
      evidence.push({ kind: 'ttl', detail: `TTL ${ttl} on ${n.iface}: ${endpointText(n.client)} → ${endpointText(n.server)} was sent by this host (an initial TTL; a forwarded packet arrives one lower)`, weight: 0.3 });
      evidence.push({
        kind: 'tuple',
        detail: `source ${n.client.ip} is outside the container's network: a connection addressed to ${n.server.ip} would have left with the bridge's own address, so its route was chosen for another, local, destination that nat OUTPUT rewrote to ${endpointText(n.server)}`,
        weight: 0.3,
      });
    }
    return { hops, evidence };
  }

  attribute(): HopToAttribute[] {
    const plan = this.ctx.plan(this.planText);
    const nodes = this.#nodes(plan);
    return plan.steps.map((s) => {
      const mech = s.mech;
      const y = nodes[s.node];
      if (s.kind === StepKind.Half) return halfAttribute(y, mech);
      const x = nodes[s.node - 1];
      return attributeInput(mech, x.proto, x.client, x.server, y.client, y.server, netfilterIface(x, y), netfilterIface(y, x));
    });
  }
}

const RELAY_KINDS: readonly RelayMatch['kind'][] = ['stream', 'refused', 'no-data', 'mid-stream', 'mid-transfer'];

function pushSame(ctx: DetailsContext, f: SameFacts): void {
  ctx.push(f.reversed ? 1 : 0);
  ctx.push(f.matched);
  ctx.push(f.tsvalMatched);
  ctx.push(f.medianFwd);
  ctx.push(f.seqOffsetFwd);
  ctx.push(f.seqOffsetRev);
}

/**
 * The relay with its event times read on the two nodes its hop joins: `x`, the last capture point
 * of the client's connection, and `y`, the first of the proxy's. The match was made on each
 * connection's busiest capture point, which may be another copy (the container's veth rather
 * than docker0): its packets are the same but seen microseconds earlier or later, so a delay
 * labelled `x → y` would not be the one between the packets of `x` and `y`. Bytes, digests and
 * rivals do not depend on the copy and stay the match's.
 */
function namedRelay(ctx: DetailsContext, r: RelayMatch, x: ConnNode, y: ConnNode): RelayMatch {
  if (r.up.node === x && r.down.node === y) return r;
  const up = r.up.node === x ? r.up : withTimesOf(r.up, relayEnd(r.up.group, x, ctx.offsetOf(x)));
  const down = r.down.node === y ? r.down : withTimesOf(r.down, relayEnd(r.down.group, y, ctx.offsetOf(y)));
  // Anchors were compared on the match's own copies only: their delay stands for any copy.
  const anchored = r.fwdAnchored > 0 || r.revAnchored > 0;
  return { ...r, up, down, dialDelay: anchored ? r.dialDelay : relayDelay(r.kind, up, down) };
}

function withTimesOf(e: RelayEnd, copy: RelayEnd): RelayEnd {
  return { ...e, node: copy.node, syn: copy.syn, accept: copy.accept, fwdData: copy.fwdData, revData: copy.revData, fwdFin: copy.fwdFin, revFin: copy.revFin, fwdLast: copy.fwdLast, revLast: copy.revLast };
}

function pushRelay(ctx: DetailsContext, r: RelayMatch, digests: (string | null)[]): void {
  ctx.push(r.dialDelay);
  ctx.push(r.rivals);
  ctx.push(RELAY_KINDS.indexOf(r.kind));
  ctx.push(r.up.syn);
  ctx.push(r.up.fwdData);
  ctx.push(r.up.revData);
  ctx.push(r.up.fwdFin);
  ctx.push(r.up.fwdBytes);
  ctx.push(r.up.revBytes);
  ctx.push(r.down.syn);
  ctx.push(r.down.fwdData);
  ctx.push(r.down.revData);
  ctx.push(r.down.fwdFin);
  ctx.push(r.down.revBytes);
  ctx.push(r.rivalsAtLeast ? 1 : 0);
  ctx.push(r.fwdCompared);
  ctx.push(r.revCompared);
  ctx.push(r.fwdShift);
  ctx.push(r.revShift);
  ctx.push(r.fwdAnchored);
  ctx.push(r.revAnchored);
  ctx.push(r.down.fwdBytes);
  digests.push(r.up.fwdDigest, r.up.revDigest, r.streamKey);
}

/** What a correlation's hops add up to: the weakest hop's confidence, and which sides were rewritten. */
interface HopTotals {
  confidence: number;
  src: boolean;
  dst: boolean;
}

function addHop(acc: HopTotals, h: HopResult): void {
  acc.confidence = Math.min(acc.confidence, h.confidence);
  if (h.change) {
    acc.src ||= h.change.srcIp || h.change.srcPort;
    acc.dst ||= h.change.dstIp || h.change.dstPort;
  }
}

/** One step of a plan's text (see parsePlan). */
function stepToken(first: boolean, kind: StepKind, node: number, mech: Mechanism): string {
  return `${first ? '' : ','}${STEP_CHARS[kind]}${node}.${MECHANISMS.indexOf(mech)}`;
}

export function buildCorrelation(
  id: string,
  segments: Segment[],
  matchOf: MatchIndex,
  ctx: DetailsContext,
  explainer: Explainer,
): LazyCorrelation {
  const identical = ctx.identical;
  // Legs and flows are kept for the correlation's life: allocated at their exact size.
  let partCount = 0;
  for (let si = 0; si < segments.length; si++) {
    const ns = segments[si].nodes;
    for (let i = 0; i < ns.length; i++) partCount += ns[i].parts.length;
  }
  const legs: string[] = new Array<string>(partCount);
  const flows: Flow[] = new Array<Flow>(partCount);
  let at = 0;
  const notes: string[] = [];
  const base = ctx.size;
  let digests: (string | null)[] | null = null;
  let counts = '';
  let stepText = '';
  const acc: HopTotals = { confidence: 1, src: false, dst: false };
  let relay = false;
  let prev: ConnNode | null = null;
  let k = 0;
  for (let si = 0; si < segments.length; si++) {
    const seg = segments[si];
    for (let i = 0; i < seg.nodes.length; i++, k++) {
      const n = seg.nodes[i];
      counts += n.parts.length;
      let h: HopResult | null = null;
      if (prev !== null) {
        if (i === 0 && seg.relayFromPrevious) {
          relay = true;
          const r = namedRelay(ctx, seg.relayFromPrevious, prev, n);
          h = relayHop(r, prev, n, identical, null, notes);
          pushRelay(ctx, r, (digests ??= []));
          stepText += stepToken(stepText === '', StepKind.Relay, k, h.mechanism);
        } else {
          const m = matchOf.between(prev.idx, n.idx) ?? matchSamePacket(prev, n);
          if (m) {
            const f = sameFacts(prev, m);
            h = samePacketHop(prev, n, f, null, notes);
            pushSame(ctx, f);
            stepText += stepToken(stepText === '', StepKind.Same, k, h.mechanism);
          }
        }
        if (h !== null) addHop(acc, h);
      }
      if (n.parts.length > 1) {
        flows[at] = n.parts[0];
        legs[at++] = n.parts[1].id;
        flows[at] = n.parts[1];
        legs[at++] = n.parts[0].id;
        const hh = halfHop(n, null, notes);
        stepText += stepToken(stepText === '', StepKind.Half, k, hh.mechanism);
        addHop(acc, hh);
      } else {
        flows[at] = n.parts[0];
        legs[at++] = n.parts[0].id;
      }
      prev = n;
    }
  }
  const only = segments.length === 1 && segments[0].nodes.length === 1 && segments[0].nodes[0].parts.length === 1 ? segments[0].nodes[0] : null;
  let hairpin = false;
  if (only && isSelfHairpin(only)) {
    // Only the copy between DNAT and the hairpin MASQUERADE was captured: a container addressed
    // itself, which the bridge only carries after a published port was DNATed back to it.
    acc.src = acc.dst = true;
    acc.confidence = 0.6;
    hairpin = true;
    notes.push(`hairpin NAT: ${only.client.ip} reached itself through a published port; only the copy between DNAT and the hairpin MASQUERADE was captured on ${only.iface} (the container's veth shows the rest)`);
  }
  let localDnat = false;
  if (!relay && !hairpin && !acc.src && !acc.dst && segments.length === 1 && isLocalOriginDnat(segments[0].nodes)) {
    const n = segments[0].nodes[0];
    acc.dst = true;
    acc.confidence = Math.min(acc.confidence, 0.8);
    localDnat = true;
    notes.push(
      `${LOCAL_DNAT_NOTE}: ${endpointText(n.client)} → ${endpointText(n.server)} left this host on ${n.iface} with TTL ${n.parts[0].fwd.firstTtl} from an address outside the container's network; the local address and port it was sent to are on no capture point`,
    );
  }
  const { src, dst } = acc;
  const mechanism: Mechanism = relay ? 'userland-proxy' : src && dst ? 'dnat+snat' : dst ? 'dnat' : src ? 'snat' : 'bridge';
  const details = new Details(ctx, flows, ctx.plan(`${counts};${stepText};${hairpin ? 1 : localDnat ? 2 : 0}`).text, base, digests);
  return new LazyCorrelation(id, mechanism, Math.round(acc.confidence * 100) / 100, legs, notes.length > 1 ? [...new Set(notes)] : notes, details, explainer);
}
