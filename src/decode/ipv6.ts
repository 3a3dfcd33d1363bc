import type { Packet } from './packet.js';
import { u16, u32 } from './bytes.js';
import { NEXT_NONE, NEXT_OTHER, nextForIpProto, type NextLayer } from './layers.js';

const IPV6_HEADER = 40;
/** Real packets carry a handful; the cap bounds work on fuzzed chains. */
const MAX_EXT_HEADERS = 32;

const NH_HOP_BY_HOP = 0;
const NH_ROUTING = 43;
const NH_FRAGMENT = 44;
const NH_AH = 51;
const NH_NO_NEXT = 59;
const NH_DEST_OPTS = 60;
const NH_MOBILITY = 135;
const OPT_PAD1 = 0;
const OPT_JUMBO = 0xc2;

/** Returns the Jumbo Payload length in a hop-by-hop header, or -1. */
function findJumbo(pkt: Packet, d: Uint8Array, p: number, hdrEnd: number): number {
  while (p < hdrEnd) {
    const type = d[p];
    if (type === OPT_PAD1) {
      p++;
      continue;
    }
    if (p + 2 > hdrEnd) break;
    const len = d[p + 1];
    if (p + 2 + len > hdrEnd) {
      pkt.warn('IPv6 hop-by-hop option overruns its header');
      break;
    }
    if (type === OPT_JUMBO && len === 4) return u32(d, p + 2);
    p += 2 + len;
  }
  return -1;
}

/**
 * IPv6 plus its extension headers (hop-by-hop with Jumbo Payload, routing, fragment, destination
 * options, mobility; AH is skipped by its own length unit). ipProto is the protocol after them.
 */
export function decodeIpv6(pkt: Packet, d: Uint8Array, off: number, end: number): NextLayer {
  const avail = end - off;
  if (avail < IPV6_HEADER) {
    pkt.warn(`truncated IPv6 header (${Math.max(0, avail)} of ${IPV6_HEADER} bytes)`);
    return NEXT_NONE;
  }
  const version = d[off] >> 4;
  if (version !== 6) {
    pkt.warn(`IPv6 header with version ${version}`);
    return NEXT_NONE;
  }
  pkt.ipVersion = 6;
  pkt.l3Offset = off;
  pkt.tos = ((d[off] & 0x0f) << 4) | (d[off + 1] >> 4);
  const payloadLen = u16(d, off + 4);
  let nh = d[off + 6];
  pkt.ttl = d[off + 7];
  pkt.srcOff = off + 8;
  pkt.dstOff = off + 24;
  let jumbo = -1;
  let p = off + IPV6_HEADER;
  let count = 0;
  let nonFirstFragment = false;
  for (;;) {
    if (nh !== NH_HOP_BY_HOP && nh !== NH_ROUTING && nh !== NH_FRAGMENT && nh !== NH_DEST_OPTS && nh !== NH_AH && nh !== NH_MOBILITY) break;
    if (count++ === MAX_EXT_HEADERS) {
      pkt.warn(`more than ${MAX_EXT_HEADERS} IPv6 extension headers`);
      pkt.ipProto = nh;
      setLength(pkt, payloadLen, jumbo, avail);
      return NEXT_NONE;
    }
    if (end - p < 8) {
      pkt.warn(`truncated IPv6 extension header ${nh}`);
      pkt.ipProto = nh;
      setLength(pkt, payloadLen, jumbo, avail);
      return NEXT_NONE;
    }
    let hdrLen: number;
    if (nh === NH_FRAGMENT) {
      hdrLen = 8;
      const fo = u16(d, p + 2);
      pkt.ipFragOffset = fo & 0xfff8;
      pkt.ipMoreFragments = (fo & 1) !== 0;
      pkt.ipFragment = true;
      pkt.ipId = u32(d, p + 4);
      if (pkt.ipFragOffset > 0) nonFirstFragment = true;
    } else if (nh === NH_AH) {
      hdrLen = (d[p + 1] + 2) * 4;
    } else {
      hdrLen = (d[p + 1] + 1) * 8;
    }
    if (p + hdrLen > end) {
      pkt.warn(`truncated IPv6 extension header ${nh} (${end - p} of ${hdrLen} bytes)`);
      pkt.ipProto = nh;
      setLength(pkt, payloadLen, jumbo, avail);
      return NEXT_NONE;
    }
    if (nh === NH_HOP_BY_HOP && payloadLen === 0) jumbo = findJumbo(pkt, d, p + 2, p + hdrLen);
    nh = d[p];
    p += hdrLen;
    if (nonFirstFragment) break;
  }
  pkt.ipProto = nh;
  setLength(pkt, payloadLen, jumbo, avail);
  pkt.l4Offset = p;
  if (nonFirstFragment || nh === NH_NO_NEXT) return NEXT_OTHER;
  return nextForIpProto(nh);
}

function setLength(pkt: Packet, payloadLen: number, jumbo: number, avail: number): void {
  if (payloadLen !== 0) pkt.ipTotalLen = IPV6_HEADER + payloadLen;
  else if (jumbo >= 0) pkt.ipTotalLen = IPV6_HEADER + jumbo;
  else {
    // Payload length 0 without a Jumbo option: GSO super-packet or empty; trust the capture.
    pkt.ipTotalLen = avail;
    pkt.ipTotalLenFromCapture = true;
  }
}
