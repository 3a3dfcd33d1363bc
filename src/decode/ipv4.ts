import type { Packet } from './packet.js';
import { u16 } from './bytes.js';
import { NEXT_NONE, NEXT_OTHER, nextForIpProto, type NextLayer } from './layers.js';

const IPV4_MIN_HEADER = 20;
/** Standard Ethernet MTU: a TSO/GSO super-segment is always larger. */
const TSO_MIN_PACKET = 1500;

/**
 * IPv4 with options. Fills addresses, ID, TTL, protocol, fragment fields and the claimed total
 * length; a non-first fragment has no transport header, so decoding stops there.
 */
export function decodeIpv4(pkt: Packet, d: Uint8Array, off: number, end: number): NextLayer {
  const avail = end - off;
  if (avail < IPV4_MIN_HEADER) {
    pkt.warn(`truncated IPv4 header (${Math.max(0, avail)} of ${IPV4_MIN_HEADER} bytes)`);
    return NEXT_NONE;
  }
  const version = d[off] >> 4;
  if (version !== 4) {
    pkt.warn(`IPv4 header with version ${version}`);
    return NEXT_NONE;
  }
  const hlen = (d[off] & 0x0f) * 4;
  if (hlen < IPV4_MIN_HEADER) {
    pkt.warn(`bogus IPv4 header length ${hlen} (minimum ${IPV4_MIN_HEADER})`);
    return NEXT_NONE;
  }
  if (hlen > avail) {
    pkt.warn(`truncated IPv4 header (${avail} of ${hlen} bytes incl. options)`);
    return NEXT_NONE;
  }
  pkt.ipVersion = 4;
  pkt.l3Offset = off;
  pkt.tos = d[off + 1];
  let total = u16(d, off + 2);
  pkt.ipId = u16(d, off + 4);
  const frag = u16(d, off + 6);
  pkt.ttl = d[off + 8];
  pkt.ipProto = d[off + 9];
  pkt.srcOff = off + 12;
  pkt.dstOff = off + 16;
  pkt.ipDontFragment = (frag & 0x4000) !== 0;
  pkt.ipMoreFragments = (frag & 0x2000) !== 0;
  pkt.ipFragOffset = (frag & 0x1fff) * 8;
  pkt.ipFragment = pkt.ipMoreFragments || pkt.ipFragOffset > 0;

  if (total === 0) {
    // TSO/GSO: the kernel hands the capture a super-segment whose length the NIC fills in later.
    total = Math.max(avail, pkt.len - (off - pkt.start));
    pkt.ipTotalLenFromCapture = true;
    // Segmentation offload only produces packets bigger than one MTU; a small one is just bogus.
    if (total <= TSO_MIN_PACKET) pkt.warn(`IPv4 total length 0 in a ${total}-byte packet (too small for TSO)`);
  } else if (total < hlen) {
    pkt.warn(`bogus IPv4 total length ${total} (header is ${hlen})`);
    total = avail;
  } else if (total > avail && pkt.caplen === pkt.len) {
    // Not cut by snaplen: the header claims more than the frame carried.
    pkt.warn(`IPv4 total length ${total} exceeds the ${avail} bytes in the frame`);
  }
  pkt.ipTotalLen = total;
  pkt.l4Offset = off + hlen;
  if (pkt.ipFragOffset > 0) return NEXT_OTHER;
  return nextForIpProto(pkt.ipProto);
}
