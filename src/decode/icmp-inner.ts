import type { Packet } from './packet.js';
import { u16 } from './bytes.js';

const NH_HOP_BY_HOP = 0;
const NH_ROUTING = 43;
const NH_FRAGMENT = 44;
const NH_DEST_OPTS = 60;

/**
 * The packet quoted inside an ICMP/ICMPv6 error: its IP header and first 8 bytes, i.e. the
 * addresses, protocol and ports of the flow the error is about. Quoted packets are routinely cut,
 * so whatever is missing stays absent without a warning unless the IP header itself is short.
 */
export function decodeQuotedPacket(pkt: Packet, d: Uint8Array, off: number, end: number): void {
  if (end - off < 1) return;
  const version = d[off] >> 4;
  let p: number;
  let proto: number;
  if (version === 4) {
    const hlen = (d[off] & 0x0f) * 4;
    if (end - off < 20 || hlen < 20) {
      pkt.warn('truncated IPv4 header quoted in ICMP error');
      return;
    }
    pkt.innerIpVersion = 4;
    pkt.innerSrcOff = off + 12;
    pkt.innerDstOff = off + 16;
    proto = d[off + 9];
    // A quoted non-first fragment has no ports.
    if ((u16(d, off + 6) & 0x1fff) !== 0) {
      pkt.innerProto = proto;
      return;
    }
    p = off + hlen;
  } else if (version === 6) {
    if (end - off < 40) {
      pkt.warn('truncated IPv6 header quoted in ICMPv6 error');
      return;
    }
    pkt.innerIpVersion = 6;
    pkt.innerSrcOff = off + 8;
    pkt.innerDstOff = off + 24;
    proto = d[off + 6];
    p = off + 40;
    for (let i = 0; i < 8; i++) {
      if (proto !== NH_HOP_BY_HOP && proto !== NH_ROUTING && proto !== NH_FRAGMENT && proto !== NH_DEST_OPTS) break;
      if (end - p < 8) break;
      const len = proto === NH_FRAGMENT ? 8 : (d[p + 1] + 1) * 8;
      if (proto === NH_FRAGMENT && (u16(d, p + 2) & 0xfff8) !== 0) {
        pkt.innerProto = d[p];
        return;
      }
      proto = d[p];
      p += len;
    }
  } else {
    pkt.warn(`ICMP error quotes a packet with IP version ${version}`);
    return;
  }
  pkt.innerProto = proto;
  // TCP, UDP, SCTP, DCCP and UDP-Lite all start with the two ports.
  if ((proto === 6 || proto === 17 || proto === 132 || proto === 33 || proto === 136) && end - p >= 4) {
    pkt.innerSport = u16(d, p);
    pkt.innerDport = u16(d, p + 2);
  }
}
