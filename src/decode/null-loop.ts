import type { Packet } from './packet.js';
import { u32, u32le } from './bytes.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, NEXT_IPV4, NEXT_IPV6, NEXT_NONE, type NextLayer } from './layers.js';

const AF_INET = 2;
/** AF_INET6 differs per BSD: NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30 (Linux's 10 never appears here). */
function isInet6(af: number): boolean {
  return af === 24 || af === 28 || af === 30 || af === 10;
}

function fromFamily(pkt: Packet, d: Uint8Array, af: number, off: number, end: number): NextLayer {
  if (af === AF_INET) {
    pkt.etherType = ETHERTYPE_IPV4;
    pkt.l3Offset = off + 4;
    return NEXT_IPV4;
  }
  if (isInet6(af)) {
    pkt.etherType = ETHERTYPE_IPV6;
    pkt.l3Offset = off + 4;
    return NEXT_IPV6;
  }
  // Some captures put an EtherType or junk there; like tshark, fall back on the IP version nibble.
  const version = end - off > 4 ? d[off + 4] >> 4 : 0;
  if (version === 4 || version === 6) {
    pkt.etherType = version === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
    pkt.l3Offset = off + 4;
    return version === 4 ? NEXT_IPV4 : NEXT_IPV6;
  }
  pkt.warn(`unknown loopback address family ${af}`);
  return NEXT_NONE;
}

/**
 * DLT_NULL: a 4-byte address family in the *capturing* host's byte order. Like tcpdump, a value
 * with any bit in the upper half set must be the other byte order.
 */
export function decodeNull(pkt: Packet, d: Uint8Array, off: number, end: number): NextLayer {
  if (end - off < 4) {
    pkt.warn(`truncated NULL/loopback header (${Math.max(0, end - off)} of 4 bytes)`);
    return NEXT_NONE;
  }
  let af = u32le(d, off);
  if ((af & 0xffff0000) !== 0) af = u32(d, off);
  return fromFamily(pkt, d, af, off, end);
}

/** DLT_LOOP (OpenBSD): the same 4-byte family, always in network byte order. */
export function decodeLoop(pkt: Packet, d: Uint8Array, off: number, end: number): NextLayer {
  if (end - off < 4) {
    pkt.warn(`truncated LOOP header (${Math.max(0, end - off)} of 4 bytes)`);
    return NEXT_NONE;
  }
  return fromFamily(pkt, d, u32(d, off), off, end);
}
