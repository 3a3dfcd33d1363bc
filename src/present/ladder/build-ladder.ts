/**
 * Correlation + its flows → Ladder (./ladder-model.ts). Pure: no I/O, no rendering, the same
 * inputs give the same ladder.
 */
import type { Analysis, Correlation, FieldDiff, Hop, Mechanism } from '../../correlate/model.js';
import type { Endpoint, Flow } from '../../flows/flow.js';
import { sanitizeText } from '../sanitize.js';
import type { Ladder, LadderCrossing, LadderEvent, LadderLane, LadderLeg, LadderPacketEvent, LaneRole } from './ladder-model.js';
import { gapRows, TIME_BREAK_US } from './time-scale.js';
import { httpFirstLine, protoWord, tcpFlagsText, TCP_ACK, TCP_PSH, TCP_SYN } from './packet-label.js';

export interface BuildLadderOptions {
  /** Packets drawn per leg (default 40); the rest are counted in a note. */
  maxPacketsPerLeg?: number;
  /** Merge consecutive data segments of one direction into one arrow (default true). */
  bursts?: boolean;
  /** Capture file → clock offset in microseconds against the reference file (subtracted). */
  clockOffsetsUs?: ReadonlyMap<string, number>;
}

export const DEFAULT_MAX_PACKETS_PER_LEG = 40;

const BRIDGE_IFACE = /^(docker\d|br-|veth)/;

/** Capture file → clock offset (µs) from an Analysis' capture summaries. */
export function clockOffsetsUs(analysis: Pick<Analysis, 'captures'>): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of analysis.captures) if (c.clockOffset !== null) m.set(c.file, Math.round(c.clockOffset * 1e6));
  return m;
}

export function endpointText(e: Endpoint): string {
  const ip = e.ip.includes(':') ? `[${e.ip}]` : e.ip;
  return e.port >= 0 ? `${ip}:${e.port}` : ip;
}

const HOP_ROLE: Record<Mechanism, LaneRole> = {
  'userland-proxy': 'proxy',
  dnat: 'nat',
  snat: 'nat',
  'dnat+snat': 'nat',
  bridge: 'bridge',
  none: 'host',
};

function hopLaneTitle(h: Hop | null): string {
  if (h === null) return 'host';
  switch (h.mechanism) {
    case 'userland-proxy':
      return 'docker-proxy';
    case 'dnat':
      return 'NAT (DNAT)';
    case 'snat':
      return 'NAT (SNAT)';
    case 'dnat+snat':
      return 'NAT (DNAT+SNAT)';
    case 'bridge':
      return 'bridge';
    default:
      return 'host';
  }
}

function crossingTitle(h: Hop): string {
  switch (h.mechanism) {
    case 'userland-proxy':
      return 'docker-proxy hand-off: new TCP connection';
    case 'bridge':
      return 'bridge: same packet, nothing rewritten';
    case 'none':
      return 'same packet';
    default:
      return `NAT rewrite (${h.mechanism.toUpperCase()})`;
  }
}

function uniquePush(list: string[], s: string): void {
  if (!list.includes(s)) list.push(s);
}

function clean(s: string): string {
  return sanitizeText(s);
}

function cleanDiff(d: FieldDiff): FieldDiff {
  return { field: clean(d.field), from: clean(d.from), to: clean(d.to), verdict: d.verdict };
}

/** The hop joining two consecutive legs, wherever the correlator listed it. */
function hopBetween(c: Correlation, from: string, to: string): number {
  const i = c.hops.findIndex((h) => h.from === from && h.to === to);
  return i >= 0 ? i : c.hops.findIndex((h) => (h.from === to && h.to === from));
}

interface PendingPacket {
  tsUs: number;
  leg: number;
  order: number;
  ev: Omit<LadderPacketEvent, 'relUs' | 'dtUs' | 'gapBefore' | 'timeBreak'>;
}

/** Builds the ladder of one correlation. Legs whose flow is missing from `flows` are skipped. */
export function buildLadder(c: Correlation, flows: ReadonlyMap<string, Flow>, opts: BuildLadderOptions = {}): Ladder {
  const maxPackets = Math.max(1, opts.maxPacketsPerLeg ?? DEFAULT_MAX_PACKETS_PER_LEG);
  const bursts = opts.bursts ?? true;
  const offsets = opts.clockOffsetsUs ?? new Map<string, number>();
  const legFlows: Flow[] = [];
  for (const id of c.legs) {
    const f = flows.get(id);
    if (f) legFlows.push(f);
  }

  const lanes: LadderLane[] = [];
  const legs: LadderLeg[] = [];
  const notes: string[] = [];
  const n = legFlows.length;
  for (let k = 0; k <= n; k++) {
    if (k === 0) lanes.push({ index: 0, role: 'client', title: 'client', addresses: [] });
    else if (k === n) lanes.push({ index: k, role: 'server', title: 'server', addresses: [] });
    else {
      const hi = hopBetween(c, legFlows[k - 1].id, legFlows[k].id);
      const h = hi >= 0 ? c.hops[hi] : null;
      lanes.push({ index: k, role: h ? HOP_ROLE[h.mechanism] : 'host', title: hopLaneTitle(h), addresses: [] });
    }
  }
  // Docker's bridge side gets its usual name: the server behind a published port, the client of egress NAT.
  if (n > 0 && BRIDGE_IFACE.test(legFlows[n - 1].iface) && c.mechanism !== 'snat') lanes[n].title = 'container';
  if (n > 0 && BRIDGE_IFACE.test(legFlows[0].iface) && c.mechanism === 'snat') lanes[0].title = 'container';

  const pending: PendingPacket[] = [];
  const crossings: Array<Omit<LadderCrossing, 'relUs' | 'dtUs' | 'gapBefore' | 'timeBreak'>> = [];
  legFlows.forEach((f, k) => {
    const src = clean(endpointText(f.src));
    const dst = clean(endpointText(f.dst));
    uniquePush(lanes[k].addresses, src);
    uniquePush(lanes[k + 1].addresses, dst);
    const s = f.samples;
    const shown = Math.min(s.count, maxPackets);
    const packets = f.fwd.packets + f.rev.packets;
    legs.push({ index: k, flowId: f.id, iface: clean(f.iface), file: clean(f.file), fromLane: k, toLane: k + 1, src, dst, proto: protoWord(f.proto).toLowerCase(), packets, sampled: s.count, shown });
    if (shown < packets) notes.push(`${clean(f.iface)} (${f.id}): first ${shown} of ${packets} packets drawn`);
    const off = offsets.get(f.file) ?? 0;
    const tcp = f.proto === 6;
    const httpFwd = tcp ? httpFirstLine(f.fwd.prefix) : null;
    const httpRev = tcp ? httpFirstLine(f.rev.prefix) : null;
    let fwdAppDone = false;
    let revAppDone = false;
    let last: PendingPacket | null = null;
    for (let i = 0; i < shown; i++) {
      const dir = s.dirAt(i) === 0 ? 'fwd' : 'rev';
      const flags = s.flagsAt(i);
      const len = Math.max(0, s.payloadLenAt(i));
      const ts = s.tsUsAt(i) - off;
      let app: string | null = null;
      if (len > 0 && dir === 'fwd' && !fwdAppDone) {
        fwdAppDone = true;
        app = tcp ? httpFwd : dnsLine(f, 'fwd');
      } else if (len > 0 && dir === 'rev' && !revAppDone) {
        revAppDone = true;
        app = tcp ? httpRev : dnsLine(f, 'rev');
      }
      const isn = dir === 'fwd' ? f.fwd.isn : f.rev.isn;
      const rawSeq = s.seqAt(i);
      let seq: number | null = null;
      let seqRelative = false;
      if (tcp && rawSeq >= 0) {
        if (flags & TCP_SYN || isn === null) seq = rawSeq;
        else {
          seq = (rawSeq - isn + 0x100000000) % 0x100000000;
          seqRelative = true;
        }
      }
      const flagText = tcp ? tcpFlagsText(flags) : protoWord(f.proto);
      // A burst: further data segments in the same direction, nothing but ACK/PSH set, no new app line.
      const data = tcp && len > 0 && (flags & ~(TCP_ACK | TCP_PSH)) === 0;
      if (bursts && data && app === null && last !== null && last.leg === k && last.ev.dir === dir && last.ev.count >= 1 && isData(last.ev)) {
        last.ev.count++;
        last.ev.len += len;
        last.ev.flags = 'data';
        last.ev.label = packetLabel(last.ev);
        continue;
      }
      const ev: PendingPacket['ev'] = {
        kind: 'packet',
        tsUs: ts,
        leg: k,
        dir,
        fromLane: dir === 'fwd' ? k : k + 1,
        toLane: dir === 'fwd' ? k + 1 : k,
        count: 1,
        flags: flagText,
        seq,
        seqRelative,
        len,
        app,
        label: '',
      };
      ev.label = packetLabel(ev);
      last = { tsUs: ts, leg: k, order: pending.length, ev };
      pending.push(last);
    }
    if (k > 0) {
      const hi = hopBetween(c, legFlows[k - 1].id, f.id);
      if (hi >= 0) {
        const h = c.hops[hi];
        const firstTs = shown > 0 ? s.tsUsAt(0) - off : f.firstUs - off;
        crossings.push({
          kind: 'crossing',
          tsUs: firstTs,
          hop: hi,
          lane: k,
          mechanism: h.mechanism,
          title: crossingTitle(h),
          rewrite: clean(h.rewrite),
          changed: h.fields.filter((d) => d.verdict !== 'preserved').map(cleanDiff),
          preserved: h.fields.filter((d) => d.verdict === 'preserved').map(cleanDiff),
        });
      }
    }
  });
  for (const f of legFlows) {
    if (f.samples.dropped > 0 && f.samples.count <= maxPackets) notes.push(`${clean(f.iface)} (${f.id}): ${f.samples.dropped} packets were not sampled by the flow table`);
  }

  // Crossings sort just before the first packet of their downstream leg (same timestamp).
  type Item = { tsUs: number; rank: number; order: number; ev: PendingPacket['ev'] | (typeof crossings)[number] };
  const items: Item[] = [
    ...pending.map((p) => ({ tsUs: p.tsUs, rank: 1, order: p.order, ev: p.ev })),
    ...crossings.map((x, i) => ({ tsUs: x.tsUs, rank: 0, order: i, ev: x })),
  ];
  items.sort((a, b) => a.tsUs - b.tsUs || a.rank - b.rank || a.order - b.order);
  const startUs = items.length > 0 ? items[0].tsUs : 0;
  const events: LadderEvent[] = [];
  let prev = startUs;
  for (const it of items) {
    const dtUs = Math.max(0, it.tsUs - prev);
    prev = Math.max(prev, it.tsUs);
    events.push(timedEvent(it.ev, it.tsUs - startUs, dtUs));
  }
  return { correlationId: clean(c.id), mechanism: c.mechanism, lanes, legs, events, startUs, notes };
}

/**
 * The event with its timing, written out field by field (same key order as a spread): spreading
 * events of two shapes, some mutated after creation, made V8 build each copy the slow way, and
 * the Markdown report of 20,000 conversations spent seconds and hundreds of MB on it.
 */
function timedEvent(ev: PendingPacket['ev'] | Omit<LadderCrossing, 'relUs' | 'dtUs' | 'gapBefore' | 'timeBreak'>, relUs: number, dtUs: number): LadderEvent {
  const gapBefore = gapRows(dtUs);
  const timeBreak = dtUs >= TIME_BREAK_US;
  if (ev.kind === 'packet') {
    return {
      kind: 'packet',
      tsUs: ev.tsUs,
      leg: ev.leg,
      dir: ev.dir,
      fromLane: ev.fromLane,
      toLane: ev.toLane,
      count: ev.count,
      flags: ev.flags,
      seq: ev.seq,
      seqRelative: ev.seqRelative,
      len: ev.len,
      app: ev.app,
      label: ev.label,
      relUs,
      dtUs,
      gapBefore,
      timeBreak,
    };
  }
  return {
    kind: 'crossing',
    tsUs: ev.tsUs,
    hop: ev.hop,
    lane: ev.lane,
    mechanism: ev.mechanism,
    title: ev.title,
    rewrite: ev.rewrite,
    changed: ev.changed,
    preserved: ev.preserved,
    relUs,
    dtUs,
    gapBefore,
    timeBreak,
  };
}

function isData(ev: PendingPacket['ev']): boolean {
  return ev.len > 0 && (ev.flags === 'data' || ev.flags === 'ACK' || ev.flags === 'PSH-ACK' || ev.flags === 'PSH');
}

/** `SYN seq 1221453536`, `PSH-ACK seq +1 len 113`, `data ×3 seq +1 len 4344`, `UDP len 45`. */
export function packetLabel(ev: Pick<LadderPacketEvent, 'flags' | 'count' | 'seq' | 'seqRelative' | 'len'>): string {
  const parts: string[] = [ev.count > 1 ? `${ev.flags} ×${ev.count}` : ev.flags];
  if (ev.seq !== null) parts.push(`seq ${ev.seqRelative ? `+${ev.seq}` : ev.seq}`);
  if (ev.len > 0) parts.push(`len ${ev.len}`);
  return parts.join(' ');
}

function dnsLine(f: Flow, dir: 'fwd' | 'rev'): string | null {
  const d = f.app?.dns;
  if (!d) return null;
  if (dir === 'fwd') return clean(`DNS query ${d.qname}`);
  return clean(d.answers.length > 0 ? `DNS answer ${d.answers.slice(0, 2).join(', ')}${d.answers.length > 2 ? ', …' : ''}` : `DNS response rcode ${d.rcode ?? '?'}`);
}
