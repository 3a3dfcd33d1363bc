import type { Packet } from './packet.js';
import { u16 } from './bytes.js';
import { NEXT_NONE, type NextLayer } from './layers.js';

const UDP_HEADER = 8;

/** UDP; the payload length claimed is the IP's (UDP's own length field is checked against it). */
export function decodeUdp(pkt: Packet, d: Uint8Array, off: number, end: number, wireLen: number): NextLayer {
  const avail = end - off;
  if (avail < UDP_HEADER) {
    if (avail >= 4) {
      pkt.sport = u16(d, off);
      pkt.dport = u16(d, off + 2);
    }
    pkt.warn(`truncated UDP header (${Math.max(0, avail)} of ${UDP_HEADER} bytes)`);
    return NEXT_NONE;
  }
  pkt.l4Offset = off;
  pkt.sport = u16(d, off);
  pkt.dport = u16(d, off + 2);
  const udpLen = u16(d, off + 4);
  let claimed = wireLen;
  if (udpLen < UDP_HEADER || (wireLen >= 0 && udpLen > wireLen)) {
    pkt.warn(`bogus UDP length ${udpLen}`);
  } else if (wireLen < 0 || udpLen < wireLen) {
    // The IP length may include padding after the datagram; UDP's own length is the payload's.
    claimed = udpLen;
  }
  pkt.payloadOffset = off + UDP_HEADER;
  const inCapture = end - pkt.payloadOffset;
  pkt.payloadWireLen = claimed >= UDP_HEADER ? claimed - UDP_HEADER : -1;
  pkt.payloadLen = pkt.payloadWireLen >= 0 && pkt.payloadWireLen < inCapture ? pkt.payloadWireLen : inCapture;
  return NEXT_NONE;
}
