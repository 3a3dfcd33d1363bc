import type { Packet } from './packet.js';
import { u16 } from './bytes.js';
import {
  ETHERTYPE_QINQ,
  ETHERTYPE_QINQ_OLD,
  ETHERTYPE_VLAN,
  NEXT_IPV4,
  NEXT_IPV6,
  NEXT_NONE,
  nextForEtherType,
  type NextLayer,
} from './layers.js';

const ETH_HEADER = 14;
/** More tags than this is not a real network; stop rather than walk a fuzzed chain. */
const MAX_VLAN_TAGS = 8;

const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;

/** MPLS label stack: skipped to the bottom-of-stack label, then the payload's IP version decides. */
function skipMpls(pkt: Packet, d: Uint8Array, p: number, end: number): NextLayer {
  for (let labels = 0; labels < MAX_VLAN_TAGS; labels++) {
    if (end - p < 4) break;
    const bottom = (d[p + 2] & 1) !== 0;
    p += 4;
    if (!bottom) continue;
    const version = end > p ? d[p] >> 4 : 0;
    pkt.l3Offset = p;
    if (version === 4) return NEXT_IPV4;
    if (version === 6) return NEXT_IPV6;
    pkt.l3Offset = -1;
    return NEXT_NONE;
  }
  pkt.warn('truncated or over-long MPLS label stack');
  return NEXT_NONE;
}

/** Ethernet II with any stack of 802.1Q / 802.1ad / 0x9100 tags (DLT_EN10MB). */
export function decodeEthernet(pkt: Packet, d: Uint8Array, off: number, end: number): NextLayer {
  if (end - off < ETH_HEADER) {
    pkt.warn(`truncated Ethernet header (${Math.max(0, end - off)} of ${ETH_HEADER} bytes)`);
    return NEXT_NONE;
  }
  pkt.ethDstOff = off;
  pkt.ethSrcOff = off + 6;
  let type = u16(d, off + 12);
  let p = off + ETH_HEADER;
  let tags = 0;
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    if (end - p < 4) {
      pkt.warn('truncated VLAN tag');
      pkt.etherType = type;
      return NEXT_NONE;
    }
    if (tags === MAX_VLAN_TAGS) {
      pkt.warn(`more than ${MAX_VLAN_TAGS} VLAN tags`);
      return NEXT_NONE;
    }
    if (pkt.vlanCount < pkt.vlanIds.length) pkt.vlanIds[pkt.vlanCount++] = u16(d, p) & 0x0fff;
    tags++;
    type = u16(d, p + 2);
    p += 4;
  }
  pkt.etherType = type;
  if (type === ETHERTYPE_MPLS || type === ETHERTYPE_MPLS_MULTICAST) return skipMpls(pkt, d, p, end);
  // Values below 0x0600 are an 802.3 length (LLC frames: STP, CDP...), not an EtherType.
  if (type < 0x0600) return NEXT_NONE;
  pkt.l3Offset = p;
  return nextForEtherType(type);
}
