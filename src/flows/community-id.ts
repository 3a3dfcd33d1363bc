/**
 * Community ID v1 (corelight community-id-spec): a flow hash shared by Zeek, Suricata, tshark and
 * Elastic, so natflow's flows join their logs.
 *
 *   "1:" + base64(sha1(seed u16 BE ‖ saddr ‖ daddr ‖ proto u8 ‖ 0 ‖ sport u16 BE ‖ dport u16 BE))
 *
 * with the endpoints ordered smaller-first, ICMP type/code standing in for ports.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Packet } from '../decode/packet.js';

const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMP6 = 58;
const PROTO_SCTP = 132;

// Request/reply counterparts; any other ICMP type is one-way and keeps its direction.
const ICMP4_COUNTERPART = new Map<number, number>([
  [8, 0], [0, 8], [13, 14], [14, 13], [15, 16], [16, 15], [10, 9], [9, 10], [17, 18], [18, 17],
]);
const ICMP6_COUNTERPART = new Map<number, number>([
  [128, 129], [129, 128], [133, 134], [134, 133], [135, 136], [136, 135],
  [130, 131], [131, 130], [139, 140], [140, 139], [144, 145], [145, 144],
]);

/** True for the protocols whose Community ID includes ports (or ICMP type/code). */
export function hasPorts(proto: number): boolean {
  return proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_SCTP || proto === PROTO_ICMP || proto === PROTO_ICMP6;
}

export interface PortEquivalents {
  sport: number;
  dport: number;
  oneWay: boolean;
}

/** ICMP type/code → the spec's "port" pair (type, counterpart type) or (type, code) when one-way. */
export function icmpPortEquivalents(proto: number, type: number, code: number): PortEquivalents {
  const table = proto === PROTO_ICMP6 ? ICMP6_COUNTERPART : ICMP4_COUNTERPART;
  const counterpart = table.get(type);
  if (counterpart !== undefined) return { sport: type, dport: counterpart, oneWay: false };
  return { sport: type, dport: code, oneWay: true };
}

function compareBytes(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): number {
  for (let i = 0; i < len; i++) {
    const d = a[aOff + i] - b[bOff + i];
    if (d !== 0) return d;
  }
  return 0;
}

export interface CommunityIdInput {
  seed: number;
  proto: number;
  /** Address bytes (4 or 16) at the given offsets. */
  src: Uint8Array;
  srcOff: number;
  dst: Uint8Array;
  dstOff: number;
  addrLen: 4 | 16;
  /** Ports; for ICMP/ICMPv6 the message type (sport) and code (dport). Ignored for port-less protocols. */
  sport: number;
  dport: number;
}

/** Community ID v1 string, base64 (default) or hex. */
export function communityId(input: CommunityIdInput, base64 = true): string {
  const { proto, src, srcOff, dst, dstOff, addrLen } = input;
  const withPorts = hasPorts(proto) && input.sport >= 0 && input.dport >= 0;
  let sport = input.sport;
  let dport = input.dport;
  let oneWay = false;
  if (withPorts && (proto === PROTO_ICMP || proto === PROTO_ICMP6)) {
    const eq = icmpPortEquivalents(proto, input.sport, input.dport);
    sport = eq.sport;
    dport = eq.dport;
    oneWay = eq.oneWay;
  }
  let swap = false;
  if (!oneWay) {
    const c = compareBytes(src, srcOff, dst, dstOff, addrLen);
    swap = c > 0 || (c === 0 && withPorts && sport > dport);
  }
  const buf = Buffer.allocUnsafe(2 + 2 * addrLen + 2 + (withPorts ? 4 : 0));
  buf.writeUInt16BE(input.seed & 0xffff, 0);
  let o = 2;
  const a = swap ? dst : src;
  const aOff = swap ? dstOff : srcOff;
  const b = swap ? src : dst;
  const bOff = swap ? srcOff : dstOff;
  for (let i = 0; i < addrLen; i++) buf[o++] = a[aOff + i];
  for (let i = 0; i < addrLen; i++) buf[o++] = b[bOff + i];
  buf[o++] = proto & 0xff;
  buf[o++] = 0;
  if (withPorts) {
    buf.writeUInt16BE((swap ? dport : sport) & 0xffff, o);
    buf.writeUInt16BE((swap ? sport : dport) & 0xffff, o + 2);
  }
  const digest = createHash('sha1').update(buf).digest();
  return '1:' + (base64 ? digest.toString('base64') : digest.toString('hex'));
}

/** Ports of a decoded packet as Community ID sees them (SCTP read from its common header). */
export function packetPorts(pkt: Packet): [number, number] {
  const proto = pkt.ipProto;
  if (proto === PROTO_ICMP || proto === PROTO_ICMP6) return [pkt.icmpType, pkt.icmpCode];
  if (proto === PROTO_SCTP && pkt.sport < 0 && pkt.l4Offset >= 0 && pkt.l4Offset + 4 <= pkt.data.length) {
    const d = pkt.data;
    const o = pkt.l4Offset;
    return [(d[o] << 8) | d[o + 1], (d[o + 2] << 8) | d[o + 3]];
  }
  return [pkt.sport, pkt.dport];
}

/** Community ID of one decoded IP packet (what tshark shows per frame); null without IP. */
export function packetCommunityId(pkt: Packet, seed = 0, base64 = true): string | null {
  if (pkt.ipVersion === 0 || pkt.srcOff < 0 || pkt.dstOff < 0 || pkt.ipProto < 0) return null;
  const [sport, dport] = packetPorts(pkt);
  const d = pkt.data;
  return communityId(
    { seed, proto: pkt.ipProto, src: d, srcOff: pkt.srcOff, dst: d, dstOff: pkt.dstOff, addrLen: pkt.ipVersion === 6 ? 16 : 4, sport, dport },
    base64,
  );
}

/** Bytes of a textual IPv4 / IPv6 address (no zone, no embedded IPv4 in IPv6); null if invalid. */
export function parseIp(text: string): Uint8Array | null {
  if (isIP(text) === 4) return Uint8Array.from(text.split('.').map(Number));
  if (isIP(text) !== 6 || text.includes('.')) return null;
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** Community ID from textual endpoints (ICMP: type as sport, code as dport; -1 ports for port-less). */
export function communityIdOf(seed: number, proto: number, saddr: string, daddr: string, sport: number, dport: number, base64 = true): string {
  const s = parseIp(saddr);
  const d = parseIp(daddr);
  if (!s || !d || s.length !== d.length) throw new Error(`invalid address pair ${saddr} / ${daddr}`);
  return communityId({ seed, proto, src: s, srcOff: 0, dst: d, dstOff: 0, addrLen: s.length as 4 | 16, sport, dport }, base64);
}
