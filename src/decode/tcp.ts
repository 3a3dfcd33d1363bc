import type { Packet } from './packet.js';
import { u16, u32 } from './bytes.js';
import { NEXT_NONE, type NextLayer } from './layers.js';

const TCP_MIN_HEADER = 20;
const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WSCALE = 3;
const OPT_SACK_PERMITTED = 4;
const OPT_SACK = 5;
const OPT_TIMESTAMP = 8;

/**
 * TCP header and options. `end` is the last captured byte of the IP payload, `wireLen` the
 * segment length the IP header claims (-1 unknown): payloadWireLen is what tcpdump calls length.
 */
export function decodeTcp(pkt: Packet, d: Uint8Array, off: number, end: number, wireLen: number): NextLayer {
  const avail = end - off;
  if (avail < TCP_MIN_HEADER) {
    // Ports and sequence numbers are still worth having from a snaplen-cut header.
    if (avail >= 4) {
      pkt.sport = u16(d, off);
      pkt.dport = u16(d, off + 2);
    }
    if (avail >= 8) pkt.seq = u32(d, off + 4);
    if (avail >= 12) pkt.ack = u32(d, off + 8);
    // And the flags and header length (so the segment's payload length, from the IP header): a
    // snaplen of 68 leaves 14 bytes of TCP behind Ethernet and IPv6, enough to follow the stream.
    if (avail >= 14) {
      const hlen = (d[off + 12] >> 4) * 4;
      pkt.tcpFlags = ((d[off + 12] & 1) << 8) | d[off + 13];
      if (hlen >= TCP_MIN_HEADER) {
        pkt.tcpHeaderLen = hlen;
        if (wireLen >= hlen) pkt.payloadWireLen = wireLen - hlen;
      }
    }
    if (avail >= 16) pkt.window = u16(d, off + 14);
    pkt.warn(`truncated TCP header (${Math.max(0, avail)} of ${TCP_MIN_HEADER} bytes)`);
    return NEXT_NONE;
  }
  pkt.l4Offset = off;
  pkt.sport = u16(d, off);
  pkt.dport = u16(d, off + 2);
  pkt.seq = u32(d, off + 4);
  pkt.ack = u32(d, off + 8);
  const hlen = (d[off + 12] >> 4) * 4;
  pkt.tcpFlags = ((d[off + 12] & 1) << 8) | d[off + 13];
  pkt.window = u16(d, off + 14);
  pkt.tcpHeaderLen = hlen;
  if (hlen < TCP_MIN_HEADER) {
    pkt.warn(`bogus TCP header length ${hlen} (minimum ${TCP_MIN_HEADER})`);
    return NEXT_NONE;
  }
  if (wireLen >= 0 && hlen > wireLen) {
    pkt.warn(`TCP header length ${hlen} exceeds the ${wireLen}-byte segment`);
  }
  const optEnd = off + hlen <= end ? off + hlen : end;
  if (off + hlen > end) pkt.warn(`truncated TCP options (${avail - TCP_MIN_HEADER} of ${hlen - TCP_MIN_HEADER} bytes)`);
  decodeTcpOptions(pkt, d, off + TCP_MIN_HEADER, optEnd);
  if (off + hlen <= end) {
    pkt.payloadOffset = off + hlen;
    pkt.payloadLen = end - (off + hlen);
  }
  if (wireLen >= hlen) pkt.payloadWireLen = wireLen - hlen;
  return NEXT_NONE;
}

function decodeTcpOptions(pkt: Packet, d: Uint8Array, p: number, end: number): void {
  while (p < end) {
    const kind = d[p];
    if (kind === OPT_EOL) return;
    if (kind === OPT_NOP) {
      p++;
      continue;
    }
    if (p + 1 >= end) {
      // The length byte itself is missing (cut by snaplen or header length).
      pkt.warn(`truncated TCP option ${kind}`);
      return;
    }
    const len = d[p + 1];
    if (len < 2) {
      pkt.warn(`TCP option ${kind} with bogus length ${len}`);
      return;
    }
    if (p + len > end) {
      pkt.warn(`TCP option ${kind} (length ${len}) overruns the header`);
      return;
    }
    switch (kind) {
      case OPT_MSS:
        if (len === 4) pkt.mss = u16(d, p + 2);
        else pkt.warn(`TCP MSS option with length ${len}`);
        break;
      case OPT_WSCALE:
        if (len === 3) pkt.wscale = d[p + 2];
        else pkt.warn(`TCP window scale option with length ${len}`);
        break;
      case OPT_SACK_PERMITTED:
        if (len === 2) pkt.sackPermitted = true;
        else pkt.warn(`TCP SACK-permitted option with length ${len}`);
        break;
      case OPT_SACK: {
        if ((len - 2) % 8 !== 0) {
          pkt.warn(`TCP SACK option with length ${len}`);
          break;
        }
        const blocks = (len - 2) / 8;
        for (let i = 0; i < blocks && pkt.sackCount * 2 < pkt.sackBlocks.length; i++) {
          pkt.sackBlocks[pkt.sackCount * 2] = u32(d, p + 2 + i * 8);
          pkt.sackBlocks[pkt.sackCount * 2 + 1] = u32(d, p + 6 + i * 8);
          pkt.sackCount++;
        }
        break;
      }
      case OPT_TIMESTAMP:
        if (len === 10) {
          pkt.tsVal = u32(d, p + 2);
          pkt.tsEcr = u32(d, p + 6);
        } else pkt.warn(`TCP timestamp option with length ${len}`);
        break;
      default:
        // MPTCP, TFO, MD5, user timeout...: skipped by their length.
        break;
    }
    p += len;
  }
}
