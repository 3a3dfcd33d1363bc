import type { Packet } from './packet.js';
import { u16 } from './bytes.js';
import { NEXT_NONE, type NextLayer } from './layers.js';
import { decodeQuotedPacket } from './icmp-inner.js';

const ICMP_HEADER = 8;

function isIcmpError(type: number): boolean {
  // Destination unreachable, source quench, redirect, time exceeded, parameter problem.
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

function isIcmpEcho(type: number): boolean {
  // Echo reply/request, timestamp, information, address mask: all carry id/sequence.
  return type === 0 || type === 8 || type === 13 || type === 14 || type === 15 || type === 16 || type === 17 || type === 18;
}

function fillHeader(pkt: Packet, d: Uint8Array, off: number, end: number, wireLen: number, name: string): boolean {
  const avail = end - off;
  if (avail < 2) {
    pkt.warn(`truncated ${name} header (${Math.max(0, avail)} of ${ICMP_HEADER} bytes)`);
    return false;
  }
  pkt.l4Offset = off;
  pkt.icmpType = d[off];
  pkt.icmpCode = d[off + 1];
  if (avail < ICMP_HEADER) {
    pkt.warn(`truncated ${name} header (${avail} of ${ICMP_HEADER} bytes)`);
    return false;
  }
  pkt.payloadOffset = off + ICMP_HEADER;
  pkt.payloadLen = end - pkt.payloadOffset;
  if (wireLen >= ICMP_HEADER) pkt.payloadWireLen = wireLen - ICMP_HEADER;
  return true;
}

export function decodeIcmp(pkt: Packet, d: Uint8Array, off: number, end: number, wireLen: number): NextLayer {
  if (!fillHeader(pkt, d, off, end, wireLen, 'ICMP')) return NEXT_NONE;
  const type = pkt.icmpType;
  if (isIcmpEcho(type)) {
    pkt.icmpId = u16(d, off + 4);
    pkt.icmpSeq = u16(d, off + 6);
  } else if (isIcmpError(type)) {
    decodeQuotedPacket(pkt, d, off + ICMP_HEADER, end);
  }
  return NEXT_NONE;
}

export function decodeIcmpv6(pkt: Packet, d: Uint8Array, off: number, end: number, wireLen: number): NextLayer {
  if (!fillHeader(pkt, d, off, end, wireLen, 'ICMPv6')) return NEXT_NONE;
  const type = pkt.icmpType;
  if (type === 128 || type === 129) {
    pkt.icmpId = u16(d, off + 4);
    pkt.icmpSeq = u16(d, off + 6);
  } else if (type >= 1 && type <= 4) {
    // Destination unreachable, packet too big, time exceeded, parameter problem.
    decodeQuotedPacket(pkt, d, off + ICMP_HEADER, end);
  }
  return NEXT_NONE;
}
