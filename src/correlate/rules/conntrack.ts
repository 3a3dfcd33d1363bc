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
}

/** Parses `conntrack -L [-o extended]` (and /proc/net/nf_conntrack) lines; others are skipped. */
export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const e = parseLine(lines[i].trim(), i + 1);
    if (e) out.push(e);
  }
  return out;
}

function emptyTuple(): ConntrackTuple {
  return { src: '', dst: '', sport: null, dport: null, icmpType: null, icmpCode: null, icmpId: null, packets: null, bytes: null };
}

function parseLine(line: string, lineNo: number): ConntrackEntry | null {
  if (!line || !line.includes('src=')) return null;
  const tok = line.split(/\s+/);
  let k = 0;
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
  return { family, proto, protoNum, timeout, state, orig, reply, flags, mark, zone, line: lineNo, text: line };
}

/** Transport identifier of a tuple side: port, or ICMP echo id. */
function sp(t: ConntrackTuple): number | null {
  return t.sport ?? t.icmpId;
}
function dp(t: ConntrackTuple): number | null {
  return t.dport ?? t.icmpId;
}

function sameProto(e: ConntrackEntry, p: string | number): boolean {
  const name = protoName(p);
  return e.proto === name || (name === 'ipv6-icmp' && e.proto === 'icmpv6') || String(e.protoNum) === String(p);
}

/** The entry whose original direction is this tuple (the packet before any NAT). */
export function findEntry(entries: ConntrackEntry[], t: HopTuple): ConntrackEntry | null {
  for (const e of entries) {
    if (!sameProto(e, t.proto)) continue;
    if (e.orig.src === t.src.ip && e.orig.dst === t.dst.ip && sp(e.orig) === t.src.port && dp(e.orig) === t.dst.port) return e;
  }
  return null;
}

/** The entry whose reply direction is `t` reversed: what the far side of the NAT shows. */
export function findEntryByReply(entries: readonly ConntrackEntry[], t: HopTuple): ConntrackEntry | null {
  for (const e of entries) {
    if (!sameProto(e, t.proto)) continue;
    if (e.reply.src === t.dst.ip && sp(e.reply) === t.dst.port && e.reply.dst === t.src.ip && dp(e.reply) === t.src.port) return e;
  }
  return null;
}

export interface Corroboration {
  verdict: 'confirms' | 'contradicts' | 'absent';
  entry: ConntrackEntry | null;
  evidence: Evidence;
  /** A bridge hop whose connection the kernel NATed before the first capture point. */
  natBeforeCapture?: true;
}

/** Words of the evidence that says so; its `values` are the tuple opened and the tuple seen. */
export const NAT_BEFORE_CAPTURE = 'NATed before the first capture point';

/**
 * Checks a hop against the conntrack table. Kernel NAT leaves one entry whose reply direction is
 * the rewritten tuple reversed (server → what the server saw as the client). The userland proxy
 * leaves two un-NATed entries, one per TCP connection. Absence proves nothing (entries expire).
 */
export function corroborate(entries: ConntrackEntry[], hop: HopToAttribute): Corroboration {
  const b = hop.before;
  const a = hop.after;
  const fmt = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
  if (hop.mechanism === 'userland-proxy' || hop.mechanism === 'bridge' || hop.mechanism === 'none') {
    const e1 = findEntry(entries, b);
    const e2 = hop.mechanism === 'userland-proxy' ? findEntry(entries, a) : e1;
    const natted = (e: ConntrackEntry) => e.reply.src !== e.orig.dst || e.reply.dst !== e.orig.src || sp(e.reply) !== dp(e.orig) || dp(e.reply) !== sp(e.orig);
    if (hop.mechanism === 'bridge' && !e1) {
      // No rewrite between the capture points, yet the kernel may have NATed the connection
      // before the first of them (DNAT in nat OUTPUT): its entry is found by the reply direction.
      const r = findEntryByReply(entries, a);
      if (r !== null && natted(r)) {
        const orig = `${fmt(r.orig.src, sp(r.orig) ?? 0)} → ${fmt(r.orig.dst, dp(r.orig) ?? 0)}`;
        const reply = `${fmt(r.reply.src, sp(r.reply) ?? 0)} → ${fmt(r.reply.dst, dp(r.reply) ?? 0)}`;
        return {
          verdict: 'confirms',
          entry: r,
          natBeforeCapture: true,
          evidence: { kind: 'conntrack', detail: `conntrack entry ${orig} expects replies ${reply}: the connection was opened as ${orig} and ${NAT_BEFORE_CAPTURE}; between the capture points nothing was rewritten`, weight: 0.1, values: [orig, `${fmt(b.src.ip, b.src.port)} → ${fmt(b.dst.ip, b.dst.port)}`] },
        };
      }
    }
    if (!e1 || !e2) {
      return { verdict: 'absent', entry: e1 ?? e2, evidence: { kind: 'conntrack', detail: `no conntrack entry for ${fmt(b.src.ip, b.src.port)} → ${fmt(b.dst.ip, b.dst.port)}${hop.mechanism === 'userland-proxy' ? ` and ${fmt(a.src.ip, a.src.port)} → ${fmt(a.dst.ip, a.dst.port)}` : ''} (entries may have expired)`, weight: 0 } };
    }
    if (natted(e1) || natted(e2)) {
      const e = natted(e1) ? e1 : e2;
      return { verdict: 'contradicts', entry: e, evidence: { kind: 'conntrack', detail: `conntrack shows NAT on ${e.orig.src}:${sp(e.orig)} → ${e.orig.dst}:${dp(e.orig)} (reply from ${e.reply.src}:${sp(e.reply)}), not a separate connection`, weight: 0 } };
    }
    return { verdict: 'confirms', entry: e1, evidence: { kind: 'conntrack', detail: hop.mechanism === 'userland-proxy' ? `conntrack holds two un-NATed connections: ${fmt(b.src.ip, b.src.port)} → ${fmt(b.dst.ip, b.dst.port)} and ${fmt(a.src.ip, a.src.port)} → ${fmt(a.dst.ip, a.dst.port)}` : `conntrack entry ${fmt(b.src.ip, b.src.port)} → ${fmt(b.dst.ip, b.dst.port)} is not NATed`, weight: 0.1 } };
  }
  let e = findEntry(entries, b);
  // The destination the client used may be on no wire (DNAT in nat OUTPUT: the capture reads the
  // client from the reverse-NATed replies and knows only where the packet went). Then the entry
  // whose reply direction is the rewritten tuple, from that client, is the connection's.
  let unseenDst = false;
  if (!e) {
    const r = findEntryByReply(entries, a);
    if (r !== null && r.orig.src === b.src.ip && sp(r.orig) === b.src.port) {
      e = r;
      unseenDst = r.orig.dst !== b.dst.ip || dp(r.orig) !== b.dst.port;
    }
  }
  if (!e) {
    return { verdict: 'absent', entry: null, evidence: { kind: 'conntrack', detail: `no conntrack entry with original tuple ${fmt(b.src.ip, b.src.port)} → ${fmt(b.dst.ip, b.dst.port)} (entries may have expired)`, weight: 0 } };
  }
  const ok = e.reply.src === a.dst.ip && sp(e.reply) === a.dst.port && e.reply.dst === a.src.ip && dp(e.reply) === a.src.port;
  const replyText = `${fmt(e.reply.src, sp(e.reply) ?? 0)} → ${fmt(e.reply.dst, dp(e.reply) ?? 0)}`;
  const flagText = e.flags.length ? ` [${e.flags.join('] [')}]` : '';
  if (ok) {
    const orig = `${fmt(e.orig.src, sp(e.orig) ?? 0)} → ${fmt(e.orig.dst, dp(e.orig) ?? 0)}`;
    const seen = unseenDst ? `; the client connected to ${fmt(e.orig.dst, dp(e.orig) ?? 0)}, which is on no capture point` : '';
    return { verdict: 'confirms', entry: e, evidence: { kind: 'conntrack', detail: `conntrack entry ${orig} expects replies ${replyText}${flagText}: the same translation${seen}`, weight: 0.15 } };
  }
  return { verdict: 'contradicts', entry: e, evidence: { kind: 'conntrack', detail: `conntrack entry ${fmt(b.src.ip, b.src.port)} → ${fmt(b.dst.ip, b.dst.port)} expects replies ${replyText}, but the capture shows ${fmt(a.src.ip, a.src.port)} → ${fmt(a.dst.ip, a.dst.port)}`, weight: 0 } };
}
