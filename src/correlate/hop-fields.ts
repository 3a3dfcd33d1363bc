/**
 * What one hop did to the packet: which tuple fields changed (the mechanism follows from that),
 * and the per-field preservation diff the report shows.
 */
import type { FieldDiff, Mechanism } from './model.js';
import { endpointText, isIcmp, type ConnNode } from './conn-node.js';
import { sameCutStream } from './relay.js';
import { knownHead } from '../flows/stream-head.js';

export interface TupleChange {
  srcIp: boolean;
  srcPort: boolean;
  dstIp: boolean;
  dstPort: boolean;
}

export function tupleChange(x: ConnNode, y: ConnNode): TupleChange {
  return {
    srcIp: x.client.ip !== y.client.ip,
    srcPort: x.client.port !== y.client.port,
    dstIp: x.server.ip !== y.server.ip,
    dstPort: x.server.port !== y.server.port,
  };
}

export function mechanismOf(c: TupleChange): Mechanism {
  const src = c.srcIp || c.srcPort;
  const dst = c.dstIp || c.dstPort;
  if (src && dst) return 'dnat+snat';
  if (dst) return 'dnat';
  if (src) return 'snat';
  return 'bridge';
}

/**
 * An endpoint as a network engineer reads it: an ICMP node keeps its echo id in the port slot,
 * and `ip:4242` would read as a port number, so it is written `ip (echo id 4242)` on the
 * sender's side and as the bare address on the server's.
 */
export function sideText(proto: number, e: ConnNode['client'], side: 'client' | 'server'): string {
  if (!isIcmp(proto)) return endpointText(e);
  return side === 'client' && e.port >= 0 ? `${endpointText({ ip: e.ip, port: -1 })} (echo id ${e.port})` : endpointText({ ip: e.ip, port: -1 });
}

/** `client → server` of a node, echo ids spelled out for ICMP. */
export function tupleOf(n: ConnNode): string {
  return `${sideText(n.proto, n.client, 'client')} → ${sideText(n.proto, n.server, 'server')}`;
}

export function rewriteText(x: ConnNode, y: ConnNode, c: TupleChange): string {
  const parts: string[] = [];
  if (c.srcIp || c.srcPort) parts.push(`src ${sideText(x.proto, x.client, 'client')} → ${sideText(y.proto, y.client, 'client')}`);
  if (c.dstIp || c.dstPort) parts.push(`dst ${sideText(x.proto, x.server, 'server')} → ${sideText(y.proto, y.server, 'server')}`);
  if (parts.length > 0) return parts.join(', ');
  const path = samePath(x, y);
  return path === 'routed' || path === 'bridged' ? `no rewrite (${path})` : `tuple unchanged (${path})`;
}

/**
 * How a packet kept its tuple between two capture points, as the packets show it: `routed` when
 * the TTL fell by one, `bridged` when nothing else changed either. When the Ethernet source
 * differs, "bridged" would contradict the MAC diff beside it: the text then says what changed and
 * what did not (a TTL that did not fall: the host did not route it, whatever wrote the header).
 */
export function samePath(x: ConnNode, y: ConnNode): string {
  if (routedHop(x, y)) return 'routed';
  const mac = sourceMacChange(x, y);
  if (mac === null) return 'bridged';
  const ttlX = x.parts[0].fwd.firstTtl;
  const ttl = ttlX !== null && ttlX === y.parts[0].fwd.firstTtl ? `${x.client.ip.includes(':') ? 'hop limit' : 'TTL'} unchanged: not routed; ` : '';
  return `${ttl}source MAC ${mac.from} → ${mac.to}`;
}

/**
 * The same tuple one TTL lower on the later capture point: the host routed the packet (a routed
 * network without NAT, eth0 ↔ the bridge), where a bridge forwards it unchanged.
 */
export function routedHop(x: ConnNode, y: ConnNode): boolean {
  const a = x.parts[0].fwd.firstTtl;
  const b = y.parts[0].fwd.firstTtl;
  return a !== null && b !== null && b === a - 1;
}

/** Loopback frames carry 00:00:00:00:00:00: no MAC to compare. */
const NO_MAC = '00:00:00:00:00:00';

/** The first packet's Ethernet source on each side when both have one and they differ; else null. */
function sourceMacChange(x: ConnNode, y: ConnNode): { from: string; to: string } | null {
  // A MAC missing on one side (SLL/-i any, raw IP) or loopback's zero MAC says nothing about a rewrite.
  const from = x.parts[0].fwd.firstMacSrc;
  const to = y.parts[0].fwd.firstMacSrc;
  if (from === null || to === null || from === NO_MAC || to === NO_MAC) return null;
  return from === to ? null : { from, to };
}

function cmp(field: string, a: string | number | null, b: string | number | null, unrelated: boolean): FieldDiff | null {
  if (a === null && b === null) return null;
  const from = a === null ? '—' : String(a);
  const to = b === null ? '—' : String(b);
  if (unrelated && from !== to) return { field, from, to, verdict: 'unrelated' };
  return { field, from, to, verdict: from === to ? 'preserved' : 'rewritten' };
}

function firstIpId(n: ConnNode): number | null {
  for (const f of n.parts) {
    const s = f.samples;
    for (let i = 0; i < s.count; i++) {
      if (s.dirAt(i) !== 0) continue;
      const v = s.ipIdAt(i);
      if (v >= 0) return v;
    }
  }
  return null;
}

function payloadText(n: ConnNode): string | null {
  const f = n.parts[0].fwd;
  if (f.gapBytes > 0) return `${f.streamBytes + f.gapBytes} B, ${f.streamBytes} B captured`;
  return f.digest === null ? null : `${f.streamBytes} B digest ${f.digest.slice(0, 12)}`;
}

/**
 * The payload verdict when a capture cut either side short (snaplen, lost packets): digests of
 * different pieces say nothing. Preserved when the lengths (sequence space) and the first bytes
 * both kept agree; no verdict otherwise.
 */
function cutPayload(x: ConnNode, y: ConnNode, from: string, to: string): FieldDiff | null {
  const a = x.parts[0].fwd;
  const b = y.parts[0].fwd;
  if (!sameCutStream(a.streamBytes + a.gapBytes, b.streamBytes + b.gapBytes, knownHead(a), knownHead(b))) return null;
  return { field: 'payload', from, to, verdict: 'preserved' };
}

/** A header field's diff; across a relay (`own`) the new socket's own value, unrelated even when equal. */
function pushOwn(out: FieldDiff[], d: FieldDiff | null, own: boolean): void {
  if (d === null) return;
  if (own) d.verdict = 'unrelated';
  out.push(d);
}

/**
 * Field-preservation diff from the upstream leg `x` to the downstream leg `y`. `relay` marks a
 * new connection (proxy): nothing was rewritten then, every header field is the new socket's
 * own (unrelated, even when equal: the container port or the OS default TTL); only the payload
 * bytes can be carried over.
 */
export function fieldDiffs(x: ConnNode, y: ConnNode, relay: boolean, seqOffset: number | null): FieldDiff[] {
  const out: FieldDiff[] = [];
  pushOwn(out, cmp('src-ip', x.client.ip, y.client.ip, false), relay);
  if (x.client.port >= 0 || y.client.port >= 0) pushOwn(out, cmp(isIcmp(x.proto) ? 'icmp-id' : 'src-port', x.client.port, y.client.port, false), relay);
  pushOwn(out, cmp('dst-ip', x.server.ip, y.server.ip, false), relay);
  if (x.server.port >= 0 || y.server.port >= 0) pushOwn(out, cmp('dst-port', x.server.port, y.server.port, false), relay);
  const ttlX = x.parts[0].fwd.firstTtl;
  const ttlY = y.parts[0].fwd.firstTtl;
  if (ttlX !== null || ttlY !== null) {
    const d = cmp('ttl', ttlX, ttlY, relay)!;
    if (relay) d.verdict = 'unrelated';
    if (!relay && ttlX !== null && ttlY !== null && ttlY === ttlX - 1) d.verdict = 'shifted';
    out.push(d);
  }
  if (x.fwdIsn !== null || y.fwdIsn !== null) {
    const d = cmp('isn', x.fwdIsn, y.fwdIsn, relay)!;
    if (!relay && seqOffset !== null && seqOffset !== 0) d.verdict = 'shifted';
    out.push(d);
  }
  pushOwn(out, cmp('ip-id', firstIpId(x), firstIpId(y), relay), false);
  pushOwn(out, cmp('tsval', x.parts[0].fwd.firstTsVal, y.parts[0].fwd.firstTsVal, relay), false);
  // A MAC missing on one side (SLL/-i any, raw IP) or loopback's zero MAC says nothing about a rewrite.
  const macX = x.parts[0].fwd.firstMacSrc;
  const macY = y.parts[0].fwd.firstMacSrc;
  if (macX !== null && macY !== null && macX !== NO_MAC && macY !== NO_MAC) pushOwn(out, cmp('mac', macX, macY, false), relay);
  // No payload on one side (a refused upstream, a bare handshake) means nothing was carried, not a rewrite.
  const payX = payloadText(x);
  const payY = payloadText(y);
  if (payX !== null && payY !== null) {
    const cut = x.parts[0].fwd.gapBytes > 0 || y.parts[0].fwd.gapBytes > 0;
    const d = cut ? cutPayload(x, y, payX, payY) : cmp('payload', payX, payY, false)!;
    if (d !== null && (cut || relay || d.verdict === 'preserved' || sameStreamSpan(x, y, seqOffset))) out.push(d);
  }
  return out;
}

/**
 * Whether two whole-stream digests that differ show a rewrite. Across a same-packet hop the
 * matched packets carried identical payload (the match compares it), so digests differ for a
 * rewrite only when both sides saw the same span of the stream (equal lengths, no gaps) or when
 * the sequence numbers moved (an ALG changed lengths). One side having seen more (a capture
 * started or stopped at another time, drops, several hosts sending MLD reports from [::] on one
 * tuple) says nothing about a rewrite: no payload verdict then.
 */
function sameStreamSpan(x: ConnNode, y: ConnNode, seqOffset: number | null): boolean {
  if (seqOffset !== null && seqOffset !== 0) return true;
  const a = x.parts[0].fwd;
  const b = y.parts[0].fwd;
  return a.streamBytes === b.streamBytes && a.gaps === 0 && b.gaps === 0;
}
