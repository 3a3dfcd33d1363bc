import { Packet } from './packet.js';
import { ReusedRecord } from '../read/record.js';
import type { CaptureRecord } from '../read/types.js';
import { decodeEthernet } from './ethernet.js';
import { decodeLoop, decodeNull } from './null-loop.js';
import { decodeFixedIp, decodeRawIp } from './raw-ip.js';
import { decodeSll, decodeSll2 } from './sll.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeArp } from './arp.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';
import { decodeIcmp, decodeIcmpv6 } from './icmp.js';
import {
  NEXT_ARP,
  NEXT_ICMP,
  NEXT_ICMPV6,
  NEXT_IPV4,
  NEXT_IPV6,
  NEXT_NONE,
  NEXT_TCP,
  NEXT_UDP,
  type NextLayer,
} from './layers.js';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_MASK,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  LINKTYPE_RAW_BSD12,
  LINKTYPE_RAW_BSD14,
} from './linktypes.js';

export { Packet } from './packet.js';
export * from './address.js';
export * from './linktypes.js';
export { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from './layers.js';

function decodeLink(pkt: Packet, d: Uint8Array, linktype: number, start: number, end: number): NextLayer {
  switch (linktype) {
    case LINKTYPE_ETHERNET:
      return decodeEthernet(pkt, d, start, end);
    case LINKTYPE_NULL:
      return decodeNull(pkt, d, start, end);
    case LINKTYPE_LOOP:
      return decodeLoop(pkt, d, start, end);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD12:
    case LINKTYPE_RAW_BSD14:
      return decodeRawIp(pkt, d, start, end);
    case LINKTYPE_IPV4:
      return decodeFixedIp(pkt, d, start, end, 4);
    case LINKTYPE_IPV6:
      return decodeFixedIp(pkt, d, start, end, 6);
    case LINKTYPE_LINUX_SLL:
      return decodeSll(pkt, d, start, end);
    case LINKTYPE_LINUX_SLL2:
      return decodeSll2(pkt, d, start, end);
    default:
      pkt.warn(`unsupported link type ${linktype}`);
      return NEXT_NONE;
  }
}

function decodeLayers(pkt: Packet, d: Uint8Array, linktype: number, start: number, caplenEnd: number): void {
  let next = decodeLink(pkt, d, linktype, start, caplenEnd);
  if (next === NEXT_ARP) {
    decodeArp(pkt, d, pkt.l3Offset, caplenEnd);
    return;
  }
  if (next === NEXT_IPV4) next = decodeIpv4(pkt, d, pkt.l3Offset, caplenEnd);
  else if (next === NEXT_IPV6) next = decodeIpv6(pkt, d, pkt.l3Offset, caplenEnd);
  else return;
  if (pkt.l4Offset < 0) return;
  // The IP length bounds the transport layer: bytes past it are Ethernet padding.
  // A header that claims more than the frame had on the wire is believed only as far as the frame.
  // Offsets are absolute in `d`; the wire end is where the frame would end had it not been cut.
  const wireEnd = start + pkt.len;
  const claimedEnd = pkt.l3Offset + pkt.ipTotalLen;
  const ipEnd = claimedEnd < wireEnd ? claimedEnd : wireEnd > caplenEnd ? wireEnd : caplenEnd;
  const end = ipEnd < caplenEnd ? ipEnd : caplenEnd;
  const l4 = pkt.l4Offset;
  const wireLen = ipEnd - l4;
  if (wireLen < 0) {
    pkt.warn(`IP length ${pkt.ipTotalLen} ends inside the IP header`);
    return;
  }
  switch (next) {
    case NEXT_TCP:
      decodeTcp(pkt, d, l4, end, wireLen);
      break;
    case NEXT_UDP:
      decodeUdp(pkt, d, l4, end, wireLen);
      break;
    case NEXT_ICMP:
      decodeIcmp(pkt, d, l4, end, wireLen);
      break;
    case NEXT_ICMPV6:
      decodeIcmpv6(pkt, d, l4, end, wireLen);
      break;
    default:
      break;
  }
}

/**
 * Decodes one captured frame into `pkt` (reset first) and returns it. `data` is the captured bytes,
 * `len` the original length on the wire. Never throws: whatever cannot be decoded becomes a
 * warning, and the fields decoded up to that point stay filled.
 */
export function decodePacket(pkt: Packet, data: Uint8Array, linktype: number, len: number): Packet {
  return decodePacketAt(pkt, data, 0, data.length, linktype, len);
}

/**
 * decodePacket for a frame that sits at buffer[start, start + caplen), e.g. in a reader's chunk,
 * without creating a view per frame. `pkt.data` becomes `buffer` itself, so every offset the
 * packet holds is absolute in it; the frame is pkt.data[pkt.start, pkt.end).
 */
export function decodePacketAt(pkt: Packet, buffer: Uint8Array, start: number, caplen: number, linktype: number, len: number): Packet {
  pkt.reset();
  const end = start + caplen;
  pkt.data = buffer;
  pkt.start = start;
  pkt.end = end;
  pkt.caplen = caplen;
  pkt.len = len;
  pkt.linktype = linktype & LINKTYPE_MASK;
  try {
    decodeLayers(pkt, buffer, pkt.linktype, start, end);
  } catch (err) {
    // A decoder bug must not take down a whole run over one packet.
    pkt.warn(`internal decoder error: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (pkt.caplen < pkt.len && pkt.warnings.length === 0) {
    // Headers complete but the rest cut by snaplen: still worth telling (tcpdump's "[|proto]").
    pkt.warn(`frame cut to ${pkt.caplen} of ${pkt.len} bytes by snaplen`);
  }
  return pkt;
}

/**
 * Decodes a record handed to a readCapture callback, in place in the reader's buffer when the
 * record exposes it (no view allocated per record).
 */
export function decodeRecord(pkt: Packet, rec: CaptureRecord): Packet {
  if (rec instanceof ReusedRecord) return decodePacketAt(pkt, rec.buffer, rec.dataOffset, rec.caplen, rec.linktype, rec.len);
  return decodePacketAt(pkt, rec.data, 0, rec.data.length, rec.linktype, rec.len);
}
