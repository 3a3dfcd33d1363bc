import type { Evidence } from '../model.js';
import { protoName, type HopTuple, type HopToAttribute } from './attribute-rule.js';

/** One direction of a conntrack entry. ICMP: `port` fields carry the echo id. */
export interface ConntrackTuple {
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  icmpType: number | null;
  icmpCode: number | null;
  icmpId: number | null;
  packets: number | null;
  bytes: number | null;
}

export interface ConntrackEntry {
  family: 'ipv4' | 'ipv6' | null;
  proto: string;
  protoNum: number;
  timeout: number | null;
  /** TCP state (ESTABLISHED, TIME_WAIT, …); null for other protocols. */
  state: string | null;
  orig: ConntrackTuple;
  reply: ConntrackTuple;
  /** `ASSURED`, `UNREPLIED`, `OFFLOAD`, … without brackets. */
  flags: string[];
  mark: number | null;
  zone: number | null;
  line: number;
  text: string;
  /** From `conntrack -E` event lines (NEW, UPDATE, DESTROY of one connection make one entry); null from a listing. */
  event: 'NEW' | 'UPDATE' | 'DESTROY' | null;
}

/**
 * Parses `conntrack -L [-o extended]` (and /proc/net/nf_conntrack) lines, and `conntrack -E [-o
 * extended,timestamp]` event lines; others are skipped. Events recorded while the capture ran
 * hold the connections a listing taken afterwards no longer has (a refused one lives for
 * microseconds): each connection is one entry, at its first event's line, with its last event's
 * state and flags.
 */
export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  const byTuple = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const e = parseLine(lines[i].trim(), i + 1);
    if (e === null) continue;
    if (e.event === null) {
      out.push(e);
      continue;
    }
    const key = entryKey(e);
    const at = byTuple.get(key);
    if (at === undefined) {
      byTuple.set(key, out.length);
      out.push(e);
    } else {
      const first = out[at];
      out[at] = { ...e, line: first.line, text: first.text };
    }
  }
  return out;
}

/**
 * Several files' entries as one table (a listing and an event log, or each address family's):
 * a connection in more than one of them counts once, as the first file has it.
 */
export function mergeConntrack(lists: readonly (readonly ConntrackEntry[])[]): ConntrackEntry[] {
  if (lists.length === 1) return [...lists[0]];
  const seen = new Set<string>();
  const out: ConntrackEntry[] = [];
  for (const list of lists) {
    for (const e of list) {
      const key = entryKey(e);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(e);
    }
  }
  return out;
}

function entryKey(e: ConntrackEntry): string {
  return `${e.zone}|${e.proto}|${tupleKey(e.orig)}|${tupleKey(e.reply)}`;
}

function tupleKey(t: ConntrackTuple): string {
  return `${t.src} ${t.dst} ${t.sport} ${t.dport} ${t.icmpType} ${t.icmpCode} ${t.icmpId}`;
}

function emptyTuple(): ConntrackTuple {
  return { src: '', dst: '', sport: null, dport: null, icmpType: null, icmpCode: null, icmpId: null, packets: null, bytes: null };
}

function parseLine(line: string, lineNo: number): ConntrackEntry | null {
  if (!line || !line.includes('src=')) return null;
  const tok = line.split(/\s+/);
  let k = 0;
  // `-o timestamp`'s [seconds.micros], then the event: [NEW], [UPDATE] or [DESTROY].
  if (/^\[\d+(?:\.\d+)?\]$/.test(tok[k] ?? '')) k++;
  const ev = /^\[(NEW|UPDATE|DESTROY)\]$/.exec(tok[k] ?? '');
  const event = ev === null ? null : (ev[1] as 'NEW' | 'UPDATE' | 'DESTROY');
  if (ev !== null) k++;
  let family: ConntrackEntry['family'] = null;
  if (tok[k] === 'ipv4' || tok[k] === 'ipv6') {
    family = tok[k] as 'ipv4' | 'ipv6';
    k += 2; // family name and number
  }
  const proto = tok[k++];
  const protoNum = Number(tok[k++]);
  if (!proto || !Number.isFinite(protoNum)) return null;
  let timeout: number | null = null;
  if (/^\d+$/.test(tok[k] ?? '')) timeout = Number(tok[k++]);
  let state: string | null = null;
  if (/^[A-Z_]+$/.test(tok[k] ?? '')) state = tok[k++];
  const orig = emptyTuple();
  const reply = emptyTuple();
  let cur: ConntrackTuple | null = null;
  let srcSeen = 0;
  const flags: string[] = [];
  let mark: number | null = null;
  let zone: number | null = null;
  for (; k < tok.length; k++) {
    const t = tok[k];
    const fl = /^\[([A-Z_]+)\]$/.exec(t);
    if (fl) {
      flags.push(fl[1]);
      continue;
    }
    const kv = /^([a-z-]+)=(.*)$/.exec(t);
    if (!kv) continue;
    const [, key, val] = kv;
    if (key === 'src') {
      srcSeen++;
      cur = srcSeen === 1 ? orig : srcSeen === 2 ? reply : null;
    }
    if (key === 'mark') { mark = Number(val); continue; }
    if (key === 'zone') { zone = Number(val); continue; }
    if (!cur) continue;
    switch (key) {
      case 'src': cur.src = val; break;
      case 'dst': cur.dst = val; break;
      case 'sport': cur.sport = Number(val); break;
      case 'dport': cur.dport = Number(val); break;
      case 'type': cur.icmpType = Number(val); break;
      case 'code': cur.icmpCode = Number(val); break;
      case 'id': cur.icmpId = Number(val); break;
      case 'packets': cur.packets = Number(val); break;
      case 'bytes': cur.bytes = Number(val); break;
      default: break;
    }
  }
  if (srcSeen < 2) return null;
  return { family, proto, protoNum, timeout, state, orig, reply, flags, mark, zone, line: lineNo, text: line, event };
}

/** One end of a connection as natflow writes it (HopTuple): an ICMP echo id stands in for the client's port, an ICMP server has none (-1). */
interface End {
  ip: string;
  port: number | null;
}

/** A connection's forward direction, client → server, in natflow's terms. */
interface Ends {
  src: End;
  dst: End;
  icmp: boolean;
}

/** An echo request and its reply carry the same id field, where TCP and UDP have two ports. */
function isIcmpTuple(t: ConntrackTuple): boolean {
  return t.sport === null && t.dport === null && t.icmpId !== null;
}

/** The client's port, or its ICMP echo id (the slot natflow keeps the id in). */
function clientPort(port: number | null, t: ConntrackTuple): number | null {
  return port ?? t.icmpId;
}

/** The server's port; an ICMP echo server has none, which natflow writes -1. */
function serverPort(port: number | null, t: ConntrackTuple): number | null {
  return isIcmpTuple(t) ? -1 : port;
}

/** The original direction: the connection before NAT. */
function origEnds(e: ConntrackEntry): Ends {
  const o = e.orig;
  return { src: { ip: o.src, port: clientPort(o.sport, o) }, dst: { ip: o.dst, port: serverPort(o.dport, o) }, icmp: isIcmpTuple(o) };
}

/**
 * The reply direction turned around: the connection as it looks after NAT. The reply carries
 * the translated client port or echo id (a MASQUERADE remap of either shows here).
 */
function replyEnds(e: ConntrackEntry): Ends {
  const r = e.reply;
  return { src: { ip: r.dst, port: clientPort(r.dport, r) }, dst: { ip: r.src, port: serverPort(r.sport, r) }, icmp: isIcmpTuple(r) };
}

function sameEnd(x: End, y: End): boolean {
  return x.ip === y.ip && x.port === y.port;
}

function sameEnds(x: Ends, t: HopTuple): boolean {
  return sameEnd(x.src, t.src) && sameEnd(x.dst, t.dst);
}

function natted(e: ConntrackEntry): boolean {
  const o = origEnds(e);
  const r = replyEnds(e);
  return !sameEnd(o.src, r.src) || !sameEnd(o.dst, r.dst);
}

/** `ip:port`, or for ICMP the address with the client's echo id spelled out (hop-fields.ts sideText). */
function endText(e: End, icmp: boolean): string {
  const ip = e.ip.includes(':') ? `[${e.ip}]` : e.ip;
  if (icmp) return e.port === null || e.port < 0 ? ip : `${ip} (echo id ${e.port})`;
  return `${ip}:${e.port ?? 0}`;
}

function endsText(x: Ends): string {
  return `${endText(x.src, x.icmp)} → ${endText(x.dst, x.icmp)}`;
}

/** The reply direction as conntrack writes it: server → client. */
function replyText(x: Ends): string {
  return `${endText(x.dst, x.icmp)} → ${endText(x.src, x.icmp)}`;
}

function isIcmpProto(p: string | number): boolean {
  const name = protoName(p);
  return name === 'icmp' || name === 'ipv6-icmp';
}

function hopText(t: HopTuple): string {
  return endsText({ src: t.src, dst: t.dst, icmp: isIcmpProto(t.proto) });
}

function sameProto(e: ConntrackEntry, p: string | number): boolean {
  const name = protoName(p);
  // By number too: conntrack names only the protocols it tracks (`unknown 2` for IGMP).
  return e.proto === name || (name === 'ipv6-icmp' && e.proto === 'icmpv6') || protoName(e.protoNum) === name;
}

/** The entry whose original direction is this tuple (the packet before any NAT). */
export function findEntry(entries: ConntrackEntry[], t: HopTuple): ConntrackEntry | null {
  for (const e of entries) {
    if (sameProto(e, t.proto) && sameEnds(origEnds(e), t)) return e;
  }
  return null;
}

/** The entry whose reply direction is `t` reversed: what the far side of the NAT shows. */
export function findEntryByReply(entries: readonly ConntrackEntry[], t: HopTuple): ConntrackEntry | null {
  for (const e of entries) {
    if (sameProto(e, t.proto) && sameEnds(replyEnds(e), t)) return e;
  }
  return null;
}

export interface Corroboration {
  verdict: 'confirms' | 'contradicts' | 'absent';
  entry: ConntrackEntry | null;
  evidence: Evidence;
  /** A bridge hop whose connection the kernel NATed before the first capture point. */
  natBeforeCapture?: true;
  /** A bridge hop whose connection the kernel NATed after the last capture point. */
  natAfterCapture?: true;
  /** A proxy hop confirmed by one of its two connections: the other is not in the dump. */
  oneConnection?: true;
}

export interface CorroborateOptions {
  /** The proxy's upstream connection was refused (SYN answered by RST). */
  upstreamRefused?: boolean;
}

/** Words of the evidence that says so; its `values` are the tuple opened and the tuple seen. */
export const NAT_BEFORE_CAPTURE = 'NATed before the first capture point';
/** Words of the evidence that a bridge's connection was NATed past the last capture point. */
export const NAT_AFTER_CAPTURE = 'NATed after the last capture point';

/**
 * Checks a hop against the conntrack table. Kernel NAT leaves one entry whose reply direction is
 * the rewritten tuple reversed (server → what the server saw as the client). The userland proxy
 * leaves two un-NATed entries, one per TCP connection. Absence proves nothing (entries expire).
 */
export function corroborate(entries: ConntrackEntry[], hop: HopToAttribute, opts: CorroborateOptions = {}): Corroboration {
  if (hop.mechanism === 'userland-proxy') return corroborateProxy(entries, hop, opts.upstreamRefused === true);
  if (hop.mechanism === 'bridge' || hop.mechanism === 'none') return corroborateUnNATed(entries, hop);
  return corroborateKernel(entries, hop);
}

function contradictsNat(e: ConntrackEntry): Corroboration {
  const o = origEnds(e);
  return { verdict: 'contradicts', entry: e, evidence: { kind: 'conntrack', detail: `conntrack shows NAT on ${endsText(o)} (reply from ${endText(replyEnds(e).dst, o.icmp)}), not a separate connection`, weight: 0 } };
}

/**
 * The proxy's two connections each leave an un-NATed entry. A connection refused with RST is
 * destroyed at once (NEW then DESTROY, captures/09-closed-port/conntrack-events.txt), so the
 * client's entry alone is all a later dump can show of a proxy whose upstream was refused.
 */
function corroborateProxy(entries: ConntrackEntry[], hop: HopToAttribute, upstreamRefused: boolean): Corroboration {
  const b = hop.before;
  const a = hop.after;
  const client = findEntry(entries, b);
  const upstream = findEntry(entries, a);
  const nat = [client, upstream].find((e): e is ConntrackEntry => e !== null && natted(e));
  if (nat !== undefined) return contradictsNat(nat);
  if (client !== null && upstream !== null) {
    return { verdict: 'confirms', entry: client, evidence: { kind: 'conntrack', detail: `conntrack holds two un-NATed connections: ${hopText(b)} and ${hopText(a)}`, weight: 0.1 } };
  }
  if (client === null && upstream === null) {
    return { verdict: 'absent', entry: null, evidence: { kind: 'conntrack', detail: `no conntrack entry for ${hopText(b)} and ${hopText(a)} (entries may have expired)`, weight: 0 } };
  }
  const detail =
    client !== null
      ? `conntrack holds the client's connection ${hopText(b)} un-NATed, ending at the proxy; ${
          upstreamRefused
            ? `the proxy's refused connection ${hopText(a)} is not in the dump, as expected for a connection reset before it was established`
            : `no entry for the proxy's connection ${hopText(a)} (entries may have expired)`
        }`
      : `conntrack holds the proxy's connection ${hopText(a)} un-NATed; no entry for the client's connection ${hopText(b)} (entries may have expired)`;
  return { verdict: 'confirms', entry: client ?? upstream, oneConnection: true, evidence: { kind: 'conntrack', detail, weight: 0.05 } };
}

function corroborateUnNATed(entries: ConntrackEntry[], hop: HopToAttribute): Corroboration {
  const b = hop.before;
  const e = findEntry(entries, b);
  if (hop.mechanism === 'bridge' && e === null) {
    // No rewrite between the capture points, yet the kernel may have NATed the connection
    // before the first of them (DNAT in nat OUTPUT): its entry is found by the reply direction.
    const r = findEntryByReply(entries, hop.after);
    if (r !== null && natted(r)) {
      const orig = endsText(origEnds(r));
      const reply = replyText(replyEnds(r));
      return {
        verdict: 'confirms',
        entry: r,
        natBeforeCapture: true,
        evidence: { kind: 'conntrack', detail: `conntrack entry ${orig} expects replies ${reply}: the connection was opened as ${orig} and ${NAT_BEFORE_CAPTURE}; between the capture points nothing was rewritten`, weight: 0.1, values: [orig, hopText(b)] },
      };
    }
  }
  if (e === null) {
    return { verdict: 'absent', entry: null, evidence: { kind: 'conntrack', detail: `no conntrack entry for ${hopText(b)} (entries may have expired)`, weight: 0 } };
  }
  if (hop.mechanism === 'bridge' && natted(e)) {
    // The tuple the capture points saw is the one the connection was opened with: the rewrite
    // came later, on a link not captured (a container's egress MASQUERADEd on eth0).
    const reply = replyText(replyEnds(e));
    return {
      verdict: 'confirms',
      entry: e,
      natAfterCapture: true,
      evidence: { kind: 'conntrack', detail: `conntrack entry ${hopText(b)} expects replies ${reply}: the connection was ${NAT_AFTER_CAPTURE}; between the capture points nothing was rewritten`, weight: 0.1, values: [hopText(b), reply] },
    };
  }
  if (natted(e)) return contradictsNat(e);
  return { verdict: 'confirms', entry: e, evidence: { kind: 'conntrack', detail: `conntrack entry ${hopText(b)} is not NATed`, weight: 0.1 } };
}

function corroborateKernel(entries: ConntrackEntry[], hop: HopToAttribute): Corroboration {
  const b = hop.before;
  const a = hop.after;
  let e = findEntry(entries, b);
  // The destination the client used may be on no wire (DNAT in nat OUTPUT: the capture reads the
  // client from the reverse-NATed replies and knows only where the packet went). Then the entry
  // whose reply direction is the rewritten tuple, from that client, is the connection's.
  let unseenDst = false;
  if (!e) {
    const r = findEntryByReply(entries, a);
    if (r !== null && sameEnd(origEnds(r).src, b.src)) {
      e = r;
      unseenDst = !sameEnd(origEnds(r).dst, b.dst);
    }
  }
  if (!e) {
    return { verdict: 'absent', entry: null, evidence: { kind: 'conntrack', detail: `no conntrack entry with original tuple ${hopText(b)} (entries may have expired)`, weight: 0 } };
  }
  const o = origEnds(e);
  const r = replyEnds(e);
  const replies = replyText(r);
  if (sameEnds(r, a)) {
    const flagText = e.flags.length ? ` [${e.flags.join('] [')}]` : '';
    const seen = unseenDst ? `; the client connected to ${endText(o.dst, o.icmp)}, which is on no capture point` : '';
    return { verdict: 'confirms', entry: e, evidence: { kind: 'conntrack', detail: `conntrack entry ${endsText(o)} expects replies ${replies}${flagText}: the same translation${seen}`, weight: 0.15 } };
  }
  return { verdict: 'contradicts', entry: e, evidence: { kind: 'conntrack', detail: `conntrack entry ${hopText(b)} expects replies ${replies}, but the capture shows ${hopText(a)}`, weight: 0 } };
}
