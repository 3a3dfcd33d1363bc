/**
 * Community ID v1 (corelight community-id-spec): a flow hash shared by Zeek, Suricata, tshark and
 * Elastic, so natflow's flows join their logs.
 *
 *   "1:" + base64(sha1(seed u16 BE ‖ saddr ‖ daddr ‖ proto u8 ‖ 0 ‖ sport u16 BE ‖ dport u16 BE))
 *
 * with the endpoints ordered smaller-first, ICMP type/code standing in for ports.
 */
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
  const buf = MSG;
  const seed = input.seed & 0xffff;
  buf[0] = seed >> 8;
  buf[1] = seed & 0xff;
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
    const p1 = (swap ? dport : sport) & 0xffff;
    const p2 = (swap ? sport : dport) & 0xffff;
    buf[o++] = p1 >> 8;
    buf[o++] = p1 & 0xff;
    buf[o++] = p2 >> 8;
    buf[o++] = p2 & 0xff;
  }
  const digest = sha1Block(buf, o);
  return base64 ? '1:' + base64Of20(digest) : '1:' + hexOf(digest);
}

// One flow tuple message (at most 2 + 32 + 2 + 4 = 40 bytes) fits a single SHA-1 block; hashing it
// in JS avoids a native Hash object per flow, which dominated flow creation.
const MSG = new Uint8Array(64);
const W = new Int32Array(80);
const OUT = new Uint8Array(20);

/** SHA-1 (FIPS 180-4) of m[0, len), len <= 55: one padded block. The result is reused scratch. */
function sha1Block(m: Uint8Array, len: number): Uint8Array {
  for (let i = len; i < 64; i++) m[i] = 0;
  m[len] = 0x80;
  const bits = len * 8;
  m[62] = bits >>> 8;
  m[63] = bits & 0xff;
  const w = W;
  for (let i = 0; i < 16; i++) w[i] = (m[4 * i] << 24) | (m[4 * i + 1] << 16) | (m[4 * i + 2] << 8) | m[4 * i + 3];
  for (let i = 16; i < 80; i++) {
    const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
    w[i] = (x << 1) | (x >>> 31);
  }
  const h0 = 0x67452301;
  const h1 = 0xefcdab89 | 0;
  const h2 = 0x98badcfe | 0;
  const h3 = 0x10325476;
  const h4 = 0xc3d2e1f0 | 0;
  let a = h0;
  let b = h1;
  let c = h2;
  let d = h3;
  let e = h4;
  for (let i = 0; i < 80; i++) {
    let f: number;
    let k: number;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc | 0;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6 | 0;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  const out = OUT;
  const put = (i: number, v: number) => {
    out[i] = v >>> 24;
    out[i + 1] = (v >>> 16) & 0xff;
    out[i + 2] = (v >>> 8) & 0xff;
    out[i + 3] = v & 0xff;
  };
  put(0, (h0 + a) | 0);
  put(4, (h1 + b) | 0);
  put(8, (h2 + c) | 0);
  put(12, (h3 + d) | 0);
  put(16, (h4 + e) | 0);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const HEX = '0123456789abcdef';
const CODES: number[] = new Array<number>(40).fill(0);
// Exactly one base64 digest long, so fromCharCode.apply takes it whole (no slice per flow).
const B64_CODES: number[] = new Array<number>(28).fill(0);

/** Standard base64 of 20 bytes: 27 characters and one '='. */
function base64Of20(b: Uint8Array): string {
  const CODES = B64_CODES;
  let n = 0;
  for (let i = 0; i < 18; i += 3) {
    const v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    CODES[n++] = B64.charCodeAt(v >> 18);
    CODES[n++] = B64.charCodeAt((v >> 12) & 63);
    CODES[n++] = B64.charCodeAt((v >> 6) & 63);
    CODES[n++] = B64.charCodeAt(v & 63);
  }
  const v = (b[18] << 16) | (b[19] << 8);
  CODES[n++] = B64.charCodeAt(v >> 18);
  CODES[n++] = B64.charCodeAt((v >> 12) & 63);
  CODES[n++] = B64.charCodeAt((v >> 6) & 63);
  CODES[n++] = 61; // '='
  return String.fromCharCode.apply(null, CODES);
}

function hexOf(b: Uint8Array): string {
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    CODES[n++] = HEX.charCodeAt(b[i] >> 4);
    CODES[n++] = HEX.charCodeAt(b[i] & 15);
  }
  return String.fromCharCode.apply(null, CODES.slice(0, n));
}

/** Ports of a decoded packet as Community ID sees them (SCTP read from its common header). */
export function packetPorts(pkt: Packet): [number, number] {
  const proto = pkt.ipProto;
  if (proto === PROTO_ICMP || proto === PROTO_ICMP6) return [pkt.icmpType, pkt.icmpCode];
  if (proto === PROTO_SCTP && pkt.sport < 0 && pkt.l4Offset >= 0 && pkt.l4Offset + 4 <= pkt.end) {
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
