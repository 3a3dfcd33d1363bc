/**
 * Reads the lab recordings under captures/ with natflow's own reader and decoder, and indexes
 * every packet by its initiator-direction tuple, so truth.json can be checked against the bytes.
 */
import { decodePacket, formatIp, Packet } from '../../src/decode/index.js';
import { readCapture } from '../../src/read/index.js';
import type { TruthTuple as Tuple } from '../helpers/truth.js';

export function tupleKey(t: Tuple): string {
  return t.proto === 'icmp' ? `icmp ${t.src} > ${t.dst} id ${t.icmpId}` : `${t.proto} ${t.src}:${t.sport} > ${t.dst}:${t.dport}`;
}

/** What one capture shows for one tuple in the initiator's direction. */
export interface TupleSeen {
  packets: number;
  /** ISN of the first SYN (TCP), else null. */
  synSeq: number | null;
  /** Payload bytes of the first packets, latin1, to look for the marker. */
  payload: string;
}

/** One ICMP error as one capture shows it. */
export interface IcmpErrorSeen {
  type: number;
  code: number;
  src: string;
  dst: string;
  ipId: number;
  /** The quoted packet's IP ID and tuple (initiator's direction, as quoted). */
  quotedIpId: number;
  quoted: string;
}

export interface CaptureIndex {
  /** Keyed by `${ifaceName}|${tupleKey}`; ifaceName is '' for single-interface captures. */
  byTuple: Map<string, TupleSeen>;
  /** ICMP errors quoting a TCP/UDP header, keyed by interface name. */
  icmpErrors: Map<string, IcmpErrorSeen[]>;
  /** Link types of the file's interfaces (header / IDBs), whether or not they hold packets. */
  linktypes: Set<number>;
  interfaceNames: Set<string>;
  records: number;
  decodeWarnings: number;
}

/**
 * Index a capture. `ifaceOf` names the interface of a record: from the pcapng IDB, from the
 * SLL2 interface index, or '' for a per-interface pcap.
 */
export async function indexCapture(
  file: string,
  ifaceOf: (pkt: Packet, ifaceName: string | null) => string,
): Promise<CaptureIndex> {
  const pkt = new Packet();
  const idx: CaptureIndex = { byTuple: new Map(), icmpErrors: new Map(), linktypes: new Set(), interfaceNames: new Set(), records: 0, decodeWarnings: 0 };
  const res = await readCapture(file, (rec) => {
    idx.records++;
    if (rec.iface.name) idx.interfaceNames.add(rec.iface.name);
    decodePacket(pkt, rec.data, rec.linktype, rec.len);
    if (pkt.warnings.length > 0) idx.decodeWarnings++;
    if ((pkt.ipVersion !== 4 && pkt.ipVersion !== 6) || pkt.srcOff < 0) return;
    // IPv6 (13): the TCP/UDP legs only; ICMPv6 in the lab is neighbor discovery, in no truth.
    if (pkt.ipVersion === 6 && pkt.ipProto !== 6 && pkt.ipProto !== 17) return;
    const src = formatIp(pkt.data, pkt.srcOff, pkt.ipVersion);
    const dst = formatIp(pkt.data, pkt.dstOff, pkt.ipVersion);
    let key: string;
    if (pkt.ipProto === 6 || pkt.ipProto === 17) {
      if (pkt.sport < 0) return;
      key = `${pkt.ipProto === 6 ? 'tcp' : 'udp'} ${src}:${pkt.sport} > ${dst}:${pkt.dport}`;
    } else if (pkt.ipProto === 1 && pkt.icmpType === 8) {
      key = `icmp ${src} > ${dst} id ${pkt.icmpId}`;
    } else if (pkt.ipProto === 1 && pkt.innerIpVersion === 4 && (pkt.innerProto === 6 || pkt.innerProto === 17) && pkt.innerSport >= 0) {
      const iface = ifaceOf(pkt, rec.iface.name);
      const list = idx.icmpErrors.get(iface) ?? [];
      idx.icmpErrors.set(iface, list);
      const d = pkt.data;
      // The quoted IPv4 header starts 12 bytes before its source address; its IP ID is at +4.
      const q = pkt.innerSrcOff - 12;
      list.push({
        type: pkt.icmpType,
        code: pkt.icmpCode,
        src,
        dst,
        ipId: pkt.ipId,
        quotedIpId: (d[q + 4] << 8) | d[q + 5],
        quoted: `${pkt.innerProto === 6 ? 'tcp' : 'udp'} ${formatIp(d, pkt.innerSrcOff, 4)}:${pkt.innerSport} > ${formatIp(d, pkt.innerDstOff, 4)}:${pkt.innerDport}`,
      });
      return;
    } else return;
    const k = `${ifaceOf(pkt, rec.iface.name)}|${key}`;
    let seen = idx.byTuple.get(k);
    if (!seen) {
      seen = { packets: 0, synSeq: null, payload: '' };
      idx.byTuple.set(k, seen);
    }
    seen.packets++;
    if (pkt.ipProto === 6 && (pkt.tcpFlags & 0x12) === 0x02 && seen.synSeq === null) seen.synSeq = pkt.seq;
    if (pkt.payloadLen > 0 && seen.payload.length < 4096) {
      seen.payload += Buffer.from(pkt.data.subarray(pkt.payloadOffset, pkt.payloadOffset + pkt.payloadLen)).toString('latin1');
    }
  });
  if (res.error) throw res.error;
  for (const i of res.info?.interfaces ?? []) idx.linktypes.add(i.linktype);
  return idx;
}
