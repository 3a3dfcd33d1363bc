import type { Packet } from './packet.js';
import { u16, u32 } from './bytes.js';
import { NEXT_NONE, nextForEtherType, type NextLayer } from './layers.js';

const SLL_HEADER = 16;
const SLL2_HEADER = 20;

/**
 * LINUX_SLL (113): packet type u16, ARPHRD u16, address length u16, address (8 bytes),
 * protocol u16. Values below 0x0600 in the protocol field are Linux pseudo-protocols (802.2 LLC,
 * CAN, ...), which natflow does not decode.
 */
export function decodeSll(pkt: Packet, d: Uint8Array, off: number, end: number): NextLayer {
  if (end - off < SLL_HEADER) {
    pkt.warn(`truncated Linux cooked (SLL) header (${Math.max(0, end - off)} of ${SLL_HEADER} bytes)`);
    return NEXT_NONE;
  }
  pkt.sllPktType = u16(d, off);
  const addrLen = u16(d, off + 4);
  pkt.sllAddrOff = off + 6;
  pkt.sllAddrLen = addrLen > 8 ? 8 : addrLen;
  const proto = u16(d, off + 14);
  pkt.etherType = proto;
  pkt.l3Offset = off + SLL_HEADER;
  return nextForEtherType(proto);
}

/**
 * LINUX_SLL2 (276): protocol u16, reserved u16, interface index u32, ARPHRD u16, packet type u8,
 * address length u8, address (8 bytes). The interface index is what names the interface of an
 * `any`-device capture.
 */
export function decodeSll2(pkt: Packet, d: Uint8Array, off: number, end: number): NextLayer {
  if (end - off < SLL2_HEADER) {
    pkt.warn(`truncated Linux cooked v2 (SLL2) header (${Math.max(0, end - off)} of ${SLL2_HEADER} bytes)`);
    return NEXT_NONE;
  }
  const proto = u16(d, off);
  pkt.sllIfIndex = u32(d, off + 4);
  pkt.sllPktType = d[off + 10];
  const addrLen = d[off + 11];
  pkt.sllAddrOff = off + 12;
  pkt.sllAddrLen = addrLen > 8 ? 8 : addrLen;
  pkt.etherType = proto;
  pkt.l3Offset = off + SLL2_HEADER;
  return nextForEtherType(proto);
}
