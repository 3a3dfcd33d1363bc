import type { Packet } from './packet.js';
import { u16 } from './bytes.js';
import { NEXT_NONE, type NextLayer } from './layers.js';

const ARP_FIXED = 8;

/** ARP for Ethernet/IPv4 (the only kind a Docker host sees); other sizes are reported, not decoded. */
export function decodeArp(pkt: Packet, d: Uint8Array, off: number, end: number): NextLayer {
  if (end - off < ARP_FIXED) {
    pkt.warn(`truncated ARP header (${Math.max(0, end - off)} of ${ARP_FIXED} bytes)`);
    return NEXT_NONE;
  }
  const htype = u16(d, off);
  const ptype = u16(d, off + 2);
  const hlen = d[off + 4];
  const plen = d[off + 5];
  pkt.arpOp = u16(d, off + 6);
  if (hlen !== 6 || plen !== 4 || ptype !== 0x0800) {
    pkt.warn(`ARP with hardware type ${htype}, protocol 0x${ptype.toString(16)}, address lengths ${hlen}/${plen} (not Ethernet/IPv4)`);
    return NEXT_NONE;
  }
  const need = ARP_FIXED + 2 * (hlen + plen);
  if (end - off < need) {
    pkt.warn(`truncated ARP (${end - off} of ${need} bytes)`);
    return NEXT_NONE;
  }
  pkt.arpSenderMacOff = off + 8;
  pkt.arpSenderIpOff = off + 14;
  pkt.arpTargetMacOff = off + 18;
  pkt.arpTargetIpOff = off + 24;
  return NEXT_NONE;
}
