import { readFileSync } from 'node:fs';
import { formatIpv4, formatIpv6, formatMac } from '../../src/decode/address.js';
import type { Packet } from '../../src/decode/packet.js';

/** Column order of the `*.fields.tsv` files (see the captures' README). */
export const COLUMNS = [
  'frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'eth.src', 'eth.dst', 'ip.src', 'ip.dst',
  'ip.id', 'ip.ttl', 'ip.proto', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw',
  'tcp.ack_raw', 'tcp.flags', 'tcp.len', 'udp.srcport', 'udp.dstport', 'icmp.type', 'tcp.stream',
] as const;
type Column = (typeof COLUMNS)[number];
export type OracleRow = Record<Column, string>;

export function readOracle(path: string): OracleRow[] {
  const text = readFileSync(path, 'utf8');
  const rows: OracleRow[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const cells = line.split('\t');
    const row = {} as OracleRow;
    COLUMNS.forEach((c, i) => (row[c] = cells[i] ?? ''));
    rows.push(row);
  }
  return rows;
}

/** Tunnelled packets list outer,inner in repeated fields; natflow decodes the outer packet. */
function first(cell: string): string {
  const i = cell.indexOf(',');
  return i < 0 ? cell : cell.slice(0, i);
}

function num(cell: string): string {
  if (cell === '') return '';
  return String(cell.startsWith('0x') ? parseInt(cell, 16) : Number(cell));
}

function opt(n: number): string {
  return n < 0 ? '' : String(n);
}

/** GRE, IP-in-IP, IPv6-in-IPv4, VXLAN or Teredo: tshark's transport columns describe the inner packet. */
export function isTunnel(p: Packet): boolean {
  return p.ipProto === 47 || p.ipProto === 4 || p.ipProto === 41 || (p.ipProto === 17 && (p.dport === 4789 || p.sport === 4789 || p.dport === 3544 || p.sport === 3544));
}

/** Everything natflow and tshark disagree on for one packet, as `field: ours != tshark's`. */
export function diffPacket(p: Packet, row: OracleRow): string[] {
  const out: string[] = [];
  const check = (field: string, ours: string, theirs: string): void => {
    if (ours !== theirs) out.push(`${field}: natflow '${ours}' != tshark '${theirs}'`);
  };
  const d = p.data;
  check('frame.len', String(p.len), row['frame.len']);
  check('frame.cap_len', String(p.caplen), row['frame.cap_len']);
  check('eth.src', p.ethSrcOff < 0 ? '' : formatMac(d, p.ethSrcOff), first(row['eth.src']));
  check('eth.dst', p.ethDstOff < 0 ? '' : formatMac(d, p.ethDstOff), first(row['eth.dst']));
  const v4 = p.ipVersion === 4;
  check('ip.src', v4 ? formatIpv4(d, p.srcOff) : '', first(row['ip.src']));
  check('ip.dst', v4 ? formatIpv4(d, p.dstOff) : '', first(row['ip.dst']));
  check('ip.id', v4 ? opt(p.ipId) : '', num(first(row['ip.id'])));
  check('ip.ttl', v4 ? opt(p.ttl) : '', first(row['ip.ttl']));
  check('ip.proto', v4 ? opt(p.ipProto) : '', first(row['ip.proto']));
  const tunnel = isTunnel(p);
  if (p.ipVersion === 6 || !tunnel) {
    check('ipv6.src', p.ipVersion === 6 ? formatIpv6(d, p.srcOff) : '', first(row['ipv6.src']));
    check('ipv6.dst', p.ipVersion === 6 ? formatIpv6(d, p.dstOff) : '', first(row['ipv6.dst']));
  }
  // tshark reassembles fragments and shows the transport header on the last one.
  if (p.ipFragment) return out;
  if (tunnel) {
    if (p.ipProto === 17) {
      check('udp.srcport', opt(p.sport), first(row['udp.srcport']));
      check('udp.dstport', opt(p.dport), first(row['udp.dstport']));
    }
    return out;
  }
  if (p.innerIpVersion !== 0) {
    // An ICMP error: tshark's port columns describe the quoted packet.
    const tcp = p.innerProto === 6;
    const udp = p.innerProto === 17;
    check('tcp.srcport', tcp ? opt(p.innerSport) : '', first(row['tcp.srcport']));
    check('tcp.dstport', tcp ? opt(p.innerDport) : '', first(row['tcp.dstport']));
    check('udp.srcport', udp ? opt(p.innerSport) : '', first(row['udp.srcport']));
    check('udp.dstport', udp ? opt(p.innerDport) : '', first(row['udp.dstport']));
  } else {
    const tcp = p.ipProto === 6;
    const udp = p.ipProto === 17;
    check('tcp.srcport', tcp ? opt(p.sport) : '', row['tcp.srcport']);
    check('tcp.dstport', tcp ? opt(p.dport) : '', row['tcp.dstport']);
    check('tcp.seq_raw', tcp ? opt(p.seq) : '', row['tcp.seq_raw']);
    check('tcp.ack_raw', tcp ? opt(p.ack) : '', row['tcp.ack_raw']);
    // tshark shows 12 flag bits; the top 3 are reserved and not part of natflow's flags.
    const flags = row['tcp.flags'] === '' ? '' : String(parseInt(row['tcp.flags'], 16) & 0x1ff);
    check('tcp.flags', tcp ? opt(p.tcpFlags) : '', flags);
    check('tcp.len', tcp ? opt(p.payloadWireLen) : '', row['tcp.len']);
    check('udp.srcport', udp ? opt(p.sport) : '', row['udp.srcport']);
    check('udp.dstport', udp ? opt(p.dport) : '', row['udp.dstport']);
  }
  check('icmp.type', v4 && p.ipProto === 1 ? opt(p.icmpType) : '', first(row['icmp.type']));
  return out;
}
