import type { Packet } from '../decode/packet.js';
import { formatIp, formatIpv4, formatMac } from '../decode/address.js';
import { sanitizeText } from './sanitize.js';

export interface PacketLineContext {
  /** Timestamp text, seconds since the epoch. */
  ts: string;
  iface: string;
}

/** tcpdump's flag letters, in its order: FIN SYN RST PSH ACK URG ECE CWR, AE last. */
const FLAG_CHARS: ReadonlyArray<[number, string]> = [
  [1, 'F'],
  [2, 'S'],
  [4, 'R'],
  [8, 'P'],
  [16, '.'],
  [32, 'U'],
  [64, 'E'],
  [128, 'W'],
  [256, 'e'],
];

export function tcpFlagsText(flags: number): string {
  let s = '';
  for (const [bit, c] of FLAG_CHARS) if (flags & bit) s += c;
  return s === '' ? 'none' : s;
}

const ICMP_NAMES: Record<number, string> = {
  0: 'echo reply',
  3: 'unreachable',
  4: 'source quench',
  5: 'redirect',
  8: 'echo request',
  11: 'time exceeded',
  12: 'parameter problem',
  13: 'time stamp request',
  14: 'time stamp reply',
};
const ICMP6_NAMES: Record<number, string> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
};

function endpoint(p: Packet, off: number, port: number): string {
  const addr = formatIp(p.data, off, p.ipVersion);
  return port >= 0 ? `${addr}.${port}` : addr;
}

function lengthText(p: Packet): number {
  return p.payloadWireLen >= 0 ? p.payloadWireLen : p.payloadLen;
}

function icmpText(p: Packet): string {
  const v6 = p.ipVersion === 6;
  const name = (v6 ? ICMP6_NAMES : ICMP_NAMES)[p.icmpType] ?? `type ${p.icmpType}`;
  let s = `${v6 ? 'ICMP6' : 'ICMP'} ${name}`;
  if (p.icmpCode > 0 || !(p.icmpType in (v6 ? ICMP6_NAMES : ICMP_NAMES))) s += ` code ${p.icmpCode}`;
  if (p.icmpId >= 0) s += `, id ${p.icmpId}, seq ${p.icmpSeq}`;
  if (p.innerIpVersion !== 0) {
    const d = p.data;
    const proto = p.innerProto === 6 ? 'tcp' : p.innerProto === 17 ? 'udp' : `proto ${p.innerProto}`;
    const src = formatIp(d, p.innerSrcOff, p.innerIpVersion);
    const dst = formatIp(d, p.innerDstOff, p.innerIpVersion);
    s +=
      p.innerSport >= 0
        ? ` for ${proto} ${src}.${p.innerSport} > ${dst}.${p.innerDport}`
        : ` for ${proto} ${src} > ${dst}`;
  }
  if (p.l4Offset >= 0) s += `, length ${lengthText(p) + 8}`;
  return s;
}

function body(p: Packet): string {
  const d = p.data;
  if (p.arpOp >= 0) {
    if (p.arpSenderIpOff < 0) return `ARP, op ${p.arpOp}`;
    const tpa = formatIpv4(d, p.arpTargetIpOff);
    const spa = formatIpv4(d, p.arpSenderIpOff);
    if (p.arpOp === 1) return `ARP, Request who-has ${tpa} tell ${spa}, length ${p.caplen}`;
    if (p.arpOp === 2) return `ARP, Reply ${spa} is-at ${formatMac(d, p.arpSenderMacOff)}, length ${p.caplen}`;
    return `ARP, op ${p.arpOp} ${spa} > ${tpa}`;
  }
  if (p.ipVersion === 0) {
    const link = p.ethSrcOff >= 0 ? `${formatMac(d, p.ethSrcOff)} > ${formatMac(d, p.ethDstOff)}, ` : '';
    const type = p.etherType >= 0 ? `ethertype 0x${p.etherType.toString(16).padStart(4, '0')}` : `linktype ${p.linktype}`;
    return `${link}${type}, length ${p.len}`;
  }
  const ip = p.ipVersion === 6 ? 'IP6' : 'IP';
  const frag = p.ipFragment ? ` (frag ${p.ipId}:${p.ipFragOffset}${p.ipMoreFragments ? '+' : ''})` : '';
  if (p.tcpFlags >= 0) {
    let s = `${ip} ${endpoint(p, p.srcOff, p.sport)} > ${endpoint(p, p.dstOff, p.dport)}: Flags [${tcpFlagsText(p.tcpFlags)}]`;
    s += `, seq ${p.seq}`;
    if (p.tcpFlags & 16) s += `, ack ${p.ack}`;
    s += `, win ${p.window}`;
    const opts: string[] = [];
    if (p.mss >= 0) opts.push(`mss ${p.mss}`);
    if (p.sackPermitted) opts.push('sackOK');
    if (p.tsVal >= 0) opts.push(`TS val ${p.tsVal} ecr ${p.tsEcr}`);
    if (p.wscale >= 0) opts.push(`wscale ${p.wscale}`);
    if (p.sackCount > 0) opts.push(`sack ${p.sackCount}`);
    if (opts.length > 0) s += `, options [${opts.join(',')}]`;
    return `${s}, length ${lengthText(p)}${frag}`;
  }
  if (p.icmpType >= 0) return `${ip} ${endpoint(p, p.srcOff, -1)} > ${endpoint(p, p.dstOff, -1)}: ${icmpText(p)}${frag}`;
  if (p.ipProto === 17 && p.sport >= 0) {
    return `${ip} ${endpoint(p, p.srcOff, p.sport)} > ${endpoint(p, p.dstOff, p.dport)}: UDP, length ${lengthText(p)}${frag}`;
  }
  const len = p.ipTotalLen >= 0 ? p.ipTotalLen : p.len;
  return `${ip} ${endpoint(p, p.srcOff, -1)} > ${endpoint(p, p.dstOff, -1)}: proto ${p.ipProto}, length ${len}${frag}`;
}

/** One line in the spirit of `tcpdump -nn`, prefixed with the time and interface. */
export function formatPacketLine(p: Packet, ctx: PacketLineContext): string {
  let s = `${ctx.ts} ${sanitizeText(ctx.iface)} ${body(p)}`;
  if (p.warnings.length > 0) s += ` [warning: ${sanitizeText(p.warnings.join('; '))}]`;
  return s;
}
