/**
 * The ladder (sequence) diagram of one correlation: a column per endpoint (client, each NAT or
 * proxy hop, server), one arrow per sampled packet in time order, and a marker where the
 * conversation crosses from one leg to the next (the NAT rewrite, or the proxy's new connection).
 * Pure text so it can be tested without a terminal; the component colours lines by `kind`.
 */
import type { Hop } from '../../correlate/model.js';
import type { Endpoint, Flow } from '../../flows/flow.js';
import { endpointRows, labelRow } from './ladder-header.js';
import { truncate } from './text-fit.js';

export interface LadderLine {
  kind: 'header' | 'packet' | 'hop' | 'note';
  text: string;
}

const TIME_W = 11;
const FIN = 1;
const SYN = 2;
const RST = 4;
const ACK = 16;

export function endpointText(e: Endpoint): string {
  const ip = e.ip.includes(':') ? `[${e.ip}]` : e.ip;
  return e.port >= 0 ? `${ip}:${e.port}` : ip;
}

export function packetLabel(proto: number, flags: number, len: number): string {
  if (proto !== 6) return len > 0 ? `len ${len}` : proto === 1 || proto === 58 ? 'ICMP' : 'pkt';
  if (flags & RST) return 'RST';
  if (flags & SYN) return flags & ACK ? 'SYN-ACK' : 'SYN';
  if (flags & FIN) return len > 0 ? `FIN len ${len}` : 'FIN';
  if (len > 0) return `data ${len}`;
  return 'ACK';
}

function hopTitle(h: Hop | undefined): string {
  if (!h) return 'hop';
  return h.mechanism === 'userland-proxy' ? 'docker-proxy' : h.mechanism === 'bridge' ? 'bridge' : 'NAT';
}

function put(row: string[], at: number, text: string): void {
  for (let i = 0; i < text.length; i++) {
    const x = at + i;
    if (x >= 0 && x < row.length) row[x] = text[i];
  }
}

function timeText(us: number): string {
  const ms = us / 1000;
  const s = ms < 1000 ? `+${ms.toFixed(3)}ms` : `+${(ms / 1000).toFixed(3)}s`;
  return s.length >= TIME_W ? s.slice(0, TIME_W - 1) : s.padEnd(TIME_W);
}

interface Event {
  tsUs: number;
  leg: number;
  dir: number;
  flags: number;
  len: number;
  sample: number;
}

export interface LadderInput {
  legs: readonly Flow[];
  /** hops[i] joins legs[i] and legs[i+1]. */
  hops: readonly Hop[];
  /** Clock correction per leg in µs (added to its timestamps), from the captures' offsets. */
  offsetsUs?: readonly number[];
}

/** Column x positions across `width` characters (after the time column). */
function columns(n: number, width: number): number[] {
  const d = Math.max(n * 4, width - TIME_W);
  const xs: number[] = [];
  for (let k = 0; k < n; k++) xs.push(TIME_W + 1 + Math.round((k * (d - 3)) / Math.max(1, n - 1)));
  return xs;
}

export function buildLadder(input: LadderInput, width: number): LadderLine[] {
  const { legs, hops } = input;
  if (legs.length === 0) return [{ kind: 'note', text: 'no flows to draw' }];
  const n = legs.length + 1;
  const xs = columns(n, width);
  const w = Math.max(width, xs[n - 1] + 1);
  const blank = (): string[] => {
    const r = new Array<string>(w).fill(' ');
    for (const x of xs) r[x] = '│';
    return r;
  };
  const lines: LadderLine[] = [];

  // Header: role, endpoint, and the interface each leg was captured on.
  const roles = ['client', ...legs.slice(1).map((_, i) => hopTitle(hops[i])), 'server'];
  lines.push({ kind: 'header', text: labelRow(roles, xs, w).text });
  for (const text of endpointRows(legs.map((f) => [endpointText(f.src), endpointText(f.dst)]), xs, w)) lines.push({ kind: 'header', text });
  const ifaceRow = blank();
  legs.forEach((f, i) => {
    // Between two lines, a blank on either side so that the name never touches them.
    const t = truncate(`[${f.iface}]`, xs[i + 1] - xs[i] - 3);
    put(ifaceRow, Math.floor((xs[i] + xs[i + 1]) / 2) - Math.floor(t.length / 2), t);
  });
  lines.push({ kind: 'header', text: ifaceRow.join('').trimEnd() });

  const events: Event[] = [];
  legs.forEach((f, leg) => {
    const s = f.samples;
    const off = input.offsetsUs?.[leg] ?? 0;
    for (let i = 0; i < s.count; i++) {
      events.push({ tsUs: s.tsUsAt(i) + off, leg, dir: s.dirAt(i), flags: s.flagsAt(i), len: s.payloadLenAt(i), sample: i });
    }
  });
  // Ties (same µs on two interfaces) keep path order: the packet enters before it leaves.
  events.sort((a, b) => a.tsUs - b.tsUs || a.leg - b.leg || a.sample - b.sample);
  if (events.length === 0) {
    lines.push({ kind: 'note', text: 'no packet samples for these flows' });
    return lines;
  }
  const t0 = events[0].tsUs;
  const seenLeg = new Array<boolean>(legs.length).fill(false);
  for (const e of events) {
    if (e.leg > 0 && !seenLeg[e.leg]) {
      const h = hops[e.leg - 1];
      const r = blank();
      // A bridge hop rewrites nothing: its own words ("no rewrite (bridged)") say so without "NAT".
      const what = !h ? 'next leg' : h.mechanism === 'bridge' ? h.rewrite : `${h.mechanism === 'userland-proxy' ? 'proxy hand-off' : 'NAT rewrite'}: ${h.rewrite}`;
      const text = `◆ ${what}`;
      const at = Math.max(TIME_W, Math.min(xs[e.leg] - 1, w - text.length));
      put(r, at, truncate(text, w - at));
      lines.push({ kind: 'hop', text: r.join('').trimEnd() });
    }
    seenLeg[e.leg] = true;
    const r = blank();
    put(r, 0, timeText(e.tsUs - t0));
    const a = xs[e.leg];
    const b = xs[e.leg + 1];
    for (let x = a + 1; x < b; x++) r[x] = '─';
    if (e.dir === 0) r[b - 1] = '>';
    else r[a + 1] = '<';
    const label = truncate(packetLabel(legs[e.leg].proto, e.flags, e.len), b - a - 5);
    if (label) {
      const t = ` ${label} `;
      put(r, Math.floor((a + b) / 2) - Math.floor(t.length / 2), t);
    }
    lines.push({ kind: 'packet', text: r.join('').trimEnd() });
  }
  const dropped = legs.reduce((k, f) => k + f.samples.dropped, 0);
  if (dropped > 0) lines.push({ kind: 'note', text: `(${dropped} later packets not sampled)` });
  return lines;
}
