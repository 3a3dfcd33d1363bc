import type { Packet } from '../decode/packet.js';
import { formatIp } from '../decode/address.js';

export interface PacketJsonContext {
  /** 1-based index of the packet in its file. */
  n: number;
  file: string;
  iface: string;
  /** Seconds since the epoch with 9 decimals. */
  ts: string;
}

/** The stable `natflow packets --json` record; absent values are null, never omitted. */
export interface PacketJson {
  n: number;
  file: string;
  iface: string;
  ts: string;
  len: number;
  caplen: number;
  linktype: number;
  src: string | null;
  dst: string | null;
  ipId: number | null;
  ttl: number | null;
  proto: number | null;
  sport: number | null;
  dport: number | null;
  seq: number | null;
  ack: number | null;
  flags: number | null;
  payloadLen: number | null;
  icmpType: number | null;
  icmpCode: number | null;
  warnings: string[];
  vlan: number[] | null;
  ifIndex: number | null;
}

function orNull(n: number): number | null {
  return n < 0 ? null : n;
}

export function packetJson(p: Packet, ctx: PacketJsonContext): PacketJson {
  const ip = p.ipVersion !== 0;
  const ports = p.sport >= 0 && p.icmpType < 0;
  return {
    n: ctx.n,
    file: ctx.file,
    iface: ctx.iface,
    ts: ctx.ts,
    len: p.len,
    caplen: p.caplen,
    linktype: p.linktype,
    src: ip ? formatIp(p.data, p.srcOff, p.ipVersion) : null,
    dst: ip ? formatIp(p.data, p.dstOff, p.ipVersion) : null,
    ipId: orNull(p.ipId),
    ttl: orNull(p.ttl),
    proto: orNull(p.ipProto),
    sport: ports ? p.sport : null,
    dport: ports ? p.dport : null,
    seq: orNull(p.seq),
    ack: orNull(p.ack),
    flags: orNull(p.tcpFlags),
    // Wire length as the headers claim it (tcpdump's "length"), the captured part when unknown.
    payloadLen: p.payloadWireLen >= 0 ? p.payloadWireLen : p.payloadOffset >= 0 ? p.payloadLen : null,
    icmpType: orNull(p.icmpType),
    icmpCode: orNull(p.icmpCode),
    warnings: p.warnings.slice(),
    vlan: p.vlanCount > 0 ? p.vlanIds.slice(0, p.vlanCount) : null,
    ifIndex: orNull(p.sllIfIndex),
  };
}

/** One JSON Lines record (no trailing newline). JSON escaping keeps control characters inert. */
export function formatPacketJson(p: Packet, ctx: PacketJsonContext): string {
  return JSON.stringify(packetJson(p, ctx));
}
