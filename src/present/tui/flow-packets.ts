/**
 * The packet pane's data: re-reads one flow's packets from its capture file on demand (the flow
 * table keeps samples, not packets), filtered by interface and tuple, formatted like
 * `natflow packets`. Reading stops once past the flow's last packet or after `limit` lines.
 */
import { formatEpoch, readCapture } from '../../read/index.js';
import { isLiveInput } from '../../flows/load-captures.js';
import type { CaptureRecord } from '../../read/types.js';
import { Packet, decodeRecord, formatIp } from '../../decode/index.js';
import type { Flow } from '../../flows/flow.js';
import { formatPacketLine } from '../packet-line.js';
import { sanitizeText } from '../sanitize.js';

export interface FlowPackets {
  lines: string[];
  /** True when `limit` cut the list short. */
  truncated: boolean;
  /** Capture error met while re-reading (the lines before it are kept). */
  error: string | null;
}

/** Captures are nearly time-ordered; packets this late after the flow's last one end the scan. */
const AFTER_LAST_US = 5_000_000;
const BEFORE_FIRST_US = 1_000_000;

class Enough extends Error {}

/** `<file>:<index>` or `<file>:sll<ifindex>` (see flows/interface-names.ts). */
function ifaceMatcher(ifaceKey: string): (rec: CaptureRecord, pkt: Packet) => boolean {
  const part = ifaceKey.slice(ifaceKey.indexOf(':') + 1);
  if (part.startsWith('sll')) {
    const ifindex = Number(part.slice(3));
    return (_rec, pkt) => pkt.sllIfIndex === ifindex;
  }
  const index = Number(part);
  return (rec) => rec.iface.index === index;
}

function samePorts(flow: Flow): boolean {
  return flow.proto === 6 || flow.proto === 17 || flow.proto === 132;
}

export function packetBelongs(flow: Flow, pkt: Packet): boolean {
  if (pkt.ipProto !== flow.proto || pkt.srcOff < 0) return false;
  const s = formatIp(pkt.data, pkt.srcOff, pkt.ipVersion);
  const d = formatIp(pkt.data, pkt.dstOff, pkt.ipVersion);
  const ports = samePorts(flow);
  const fwd = s === flow.src.ip && d === flow.dst.ip && (!ports || (pkt.sport === flow.src.port && pkt.dport === flow.dst.port));
  const rev = s === flow.dst.ip && d === flow.src.ip && (!ports || (pkt.sport === flow.dst.port && pkt.dport === flow.src.port));
  if (!fwd && !rev) return false;
  if (!ports && flow.icmp?.echoId != null && pkt.icmpId >= 0) return pkt.icmpId === flow.icmp.echoId;
  return true;
}

/** Why the packets of a capture read from a pipe cannot be listed (shown in the packet pane). */
export const NOT_KEPT_FROM_PIPE = 'this capture came through a pipe, which cannot be read again: save it to a file (tcpdump -w FILE) to list its packets here';

export async function readFlowPackets(flow: Flow, limit = 5000): Promise<FlowPackets> {
  // The list is read again from the capture: a pipe was read once, and opening its path again
  // would wait for a writer that is gone (a FIFO) or take packets from one still writing.
  if (isLiveInput(flow.file)) return { lines: [], truncated: false, error: NOT_KEPT_FROM_PIPE };
  const lines: string[] = [];
  const pkt = new Packet();
  const onIface = ifaceMatcher(flow.ifaceKey);
  let truncated = false;
  const onRecord = (rec: CaptureRecord): void => {
    const tsUs = rec.tsSec * 1e6 + rec.tsNsec / 1e3;
    if (tsUs < flow.firstUs - BEFORE_FIRST_US) return;
    if (tsUs > flow.lastUs + AFTER_LAST_US) throw new Enough();
    decodeRecord(pkt, rec);
    if (!onIface(rec, pkt) || !packetBelongs(flow, pkt)) return;
    if (lines.length >= limit) {
      truncated = true;
      throw new Enough();
    }
    lines.push(formatPacketLine(pkt, { ts: formatEpoch(rec.tsSec, rec.tsNsec), iface: flow.iface }));
  };
  try {
    const r = await readCapture(flow.file, onRecord, { label: flow.file });
    return { lines, truncated, error: r.error ? sanitizeText(r.error.message) : null };
  } catch (e) {
    if (e instanceof Enough) return { lines, truncated, error: null };
    return { lines, truncated, error: sanitizeText(e instanceof Error ? e.message : String(e)) };
  }
}

/**
 * The first bytes of a reassembled stream as display lines: split on line breaks (HTTP reads
 * naturally), every control or escape character stripped, non-text bytes shown as '.'.
 */
export function payloadLines(prefix: Uint8Array, maxLines: number): string[] {
  if (prefix.length === 0) return [];
  let text = '';
  for (let i = 0; i < prefix.length; i++) {
    const b = prefix[i];
    text += b === 0x0a || b === 0x09 || (b >= 0x20 && b < 0x7f) ? String.fromCharCode(b) : b === 0x0d ? '' : '.';
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (out.length >= maxLines) break;
    out.push(sanitizeText(line.replace(/\t/g, '  ')));
  }
  return out;
}
