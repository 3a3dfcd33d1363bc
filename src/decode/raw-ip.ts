import type { Packet } from './packet.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, NEXT_IPV4, NEXT_IPV6, NEXT_NONE, type NextLayer } from './layers.js';

/** DLT_RAW (101, and BSD's 12 / 14): no link header, the IP version nibble says which. */
export function decodeRawIp(pkt: Packet, d: Uint8Array, off: number, end: number): NextLayer {
  if (end - off < 1) {
    pkt.warn('empty raw IP packet');
    return NEXT_NONE;
  }
  const version = d[off] >> 4;
  pkt.l3Offset = off;
  if (version === 4) {
    pkt.etherType = ETHERTYPE_IPV4;
    return NEXT_IPV4;
  }
  if (version === 6) {
    pkt.etherType = ETHERTYPE_IPV6;
    return NEXT_IPV6;
  }
  pkt.l3Offset = -1;
  pkt.warn(`raw IP packet with IP version ${version}`);
  return NEXT_NONE;
}

/**
 * LINKTYPE_IPV4 (228) / LINKTYPE_IPV6 (229): the link type promises the version. A mismatch is
 * reported and, like tcpdump and tshark, not decoded as the other version.
 */
export function decodeFixedIp(pkt: Packet, d: Uint8Array, off: number, end: number, want: 4 | 6): NextLayer {
  if (end - off < 1) {
    pkt.warn('empty raw IP packet');
    return NEXT_NONE;
  }
  const version = d[off] >> 4;
  if (version !== want) {
    pkt.warn(`IPv${version} packet on an IPv${want}-only link type (wrong link-layer encapsulation)`);
    return NEXT_NONE;
  }
  pkt.l3Offset = off;
  pkt.etherType = want === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
  return want === 4 ? NEXT_IPV4 : NEXT_IPV6;
}
