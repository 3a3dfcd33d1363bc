/**
 * The three renderings of `natflow flows`: an 80-column text listing, JSON Lines with stable field
 * names, and a Zeek conn.log (TSV with a community_id column) for Zeek / Suricata / Elastic joins.
 */
import { sanitizeText } from '../present/sanitize.js';
import type { AppPeek, Endpoint, Flow } from './flow.js';
import { ipProtoName } from './ip-proto.js';

// The name analyze and check's `protocol:` use (Zeek's conn.log column says icmp for both ICMPs).
export function protoName(proto: number): string {
  return ipProtoName(proto);
}

function hasPortField(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132;
}

/** `ip:port` (IPv6 in brackets); the bare address for protocols without ports. */
export function formatEndpoint(e: Endpoint, proto: number): string {
  if (!hasPortField(proto) || e.port < 0) return e.ip;
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** Microseconds since the epoch → seconds with 6 decimals, exact (no float formatting drift). */
export function formatTsUs(us: number): string {
  const whole = Math.floor(us);
  const sec = Math.floor(whole / 1e6);
  const frac = whole - sec * 1e6;
  return `${sec}.${String(frac).padStart(6, '0')}`;
}

function appJson(app: AppPeek | null): Record<string, unknown> | null {
  if (app === null) return null;
  const out: Record<string, unknown> = {};
  if (app.http) out.http = app.http;
  if (app.dns) out.dns = app.dns;
  if (app.tls) out.tls = app.tls;
  return out;
}

/** One JSON Lines object. The first fields are the stable interface; the rest is detail. */
export function flowToJson(f: Flow): Record<string, unknown> {
  const dir = (s: Flow['fwd']) => ({
    packets: s.packets,
    copies: s.copies,
    bytes: s.bytes,
    payloadBytes: s.payloadBytes,
    retransmissions: s.retransmissions,
    outOfOrder: s.outOfOrder,
    zeroWindow: s.zeroWindow,
    gaps: s.gaps,
    gapBytes: s.gapBytes,
    streamBytes: s.streamBytes,
    digest: s.digest,
    synOptions: s.synOptions,
    firstTtl: s.firstTtl,
    firstTsVal: s.firstTsVal,
    lastTsVal: s.lastTsVal,
    mac: s.firstMacSrc === null ? null : { src: s.firstMacSrc, dst: s.firstMacDst },
  });
  return {
    id: f.id,
    iface: f.iface,
    proto: protoName(f.proto),
    src: formatEndpoint(f.src, f.proto),
    dst: formatEndpoint(f.dst, f.proto),
    communityId: f.communityId,
    firstTs: formatTsUs(f.firstUs),
    lastTs: formatTsUs(f.lastUs),
    state: f.state,
    packets: f.fwd.packets + f.rev.packets,
    bytes: f.fwd.bytes + f.rev.bytes,
    isn: { src: f.fwd.isn, dst: f.rev.isn },
    app: appJson(f.app),
    file: f.file,
    midStream: f.midStream,
    halfFlow: f.halfFlow,
    closedBy: f.closedBy,
    resetBy: f.resetBy,
    handshakeRttUs: f.handshakeRttUs,
    icmp: f.icmp,
    icmpErrorFlowIds: f.icmpErrorFlowIds,
    sllPktTypes: f.sllPktTypes,
    fwd: dir(f.fwd),
    rev: dir(f.rev),
  };
}

/**
 * UTC time of day, HH:MM:SS.micro. Computed, not via Date: a corrupt or far-future timestamp
 * (pcapng allows 64-bit ticks at any resolution) is outside Date's range and would throw.
 */
function clock(us: number): string {
  const t = Math.floor(us);
  const micro = ((t % 1_000_000) + 1_000_000) % 1_000_000;
  const day = (((Math.floor(t / 1_000_000) % 86_400) + 86_400) % 86_400) || 0;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(Math.floor(day / 3600))}:${two(Math.floor(day / 60) % 60)}:${two(day % 60)}.${String(micro || 0).padStart(6, '0')}`;
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

function appText(app: AppPeek | null): string {
  if (!app) return '';
  const parts: string[] = [];
  if (app.http) {
    const h = app.http;
    if (h.method) parts.push(`${h.method} ${h.path ?? ''}`.trim());
    if (h.host) parts.push(`host ${h.host}`);
    if (h.status !== null) parts.push(`→ ${h.status}`);
  }
  if (app.dns) parts.push(`dns ${app.dns.qname}${app.dns.answers.length ? ` → ${app.dns.answers.join(' ')}` : ''}`);
  if (app.tls?.sni) parts.push(`sni ${app.tls.sni}`);
  return sanitizeText(parts.join(' '));
}

/**
 * Two lines per flow, fitting 80 columns: id, time (UTC), interface, protocol and endpoints; then
 * state, counts, ISNs and the application peek.
 */
export function formatFlowText(f: Flow): string {
  const iface = clip(sanitizeText(f.iface), 12);
  const head = `${f.id.padEnd(5)} ${clock(f.firstUs)} ${iface.padEnd(12)} ${protoName(f.proto).padEnd(5)} ${formatEndpoint(f.src, f.proto)}`;
  const dst = `→ ${formatEndpoint(f.dst, f.proto)}`;
  // Long (IPv6) endpoints: the destination goes on its own line rather than past column 80.
  const line1 = head.length + 1 + dst.length <= 80 ? `${head} ${dst}` : `${head}\n${' '.repeat(40)}${dst}`;
  const extras: string[] = [];
  extras.push(f.state + (f.midStream && f.state !== 'mid-stream' ? '(mid)' : '') + (f.halfFlow ? ' half' : ''));
  extras.push(`${f.fwd.packets}/${f.rev.packets} pkts`);
  extras.push(`${f.fwd.bytes + f.rev.bytes} B`);
  const retrans = f.fwd.retransmissions + f.rev.retransmissions;
  if (retrans > 0) extras.push(`${retrans} retr`);
  if (f.fwd.isn !== null || f.rev.isn !== null) extras.push(`isn ${f.fwd.isn ?? '-'}/${f.rev.isn ?? '-'}`);
  if (f.icmp?.echoId != null) extras.push(`echo id ${f.icmp.echoId}`);
  if (f.icmp?.linkedFlowId) extras.push(`about ${f.icmp.linkedFlowId}`);
  const app = appText(f.app);
  let line2 = `      ${extras.join('  ')}`;
  if (app) line2 += line2.length + app.length + 2 <= 80 ? `  ${app}` : `\n      ${clip(app, 74)}`;
  return `${line1}\n${line2}`;
}

export function textHeader(): string {
  return 'ID    FIRST (UTC)     IFACE        PROTO SRC → DST\n      STATE  PKTS fwd/rev  BYTES  ISN src/dst  APP';
}

const ZEEK_FIELDS = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes',
  'resp_bytes', 'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes',
  'resp_pkts', 'resp_ip_bytes', 'tunnel_parents', 'community_id', 'natflow_iface',
];
const ZEEK_TYPES = [
  'time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval', 'count', 'count', 'string', 'bool',
  'bool', 'count', 'string', 'count', 'count', 'count', 'count', 'set[string]', 'string', 'string',
];

function zeekTime(us: number): string {
  return formatTsUs(us);
}

function zeekOpen(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
}

export function zeekHeader(): string {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    `#open\t${zeekOpen()}`,
    `#fields\t${ZEEK_FIELDS.join('\t')}`,
    `#types\t${ZEEK_TYPES.join('\t')}`,
  ].join('\n');
}

export function zeekFooter(): string {
  return `#close\t${zeekOpen()}`;
}

function zeekState(f: Flow): string {
  if (f.proto !== 6) return f.rev.packets > 0 ? 'SF' : 'S0';
  switch (f.state) {
    case 'syn-sent':
      return 'S0';
    case 'rejected':
      return 'REJ';
    case 'syn-received':
    case 'established':
    case 'open':
      return 'S1';
    case 'half-closed':
      return f.closedBy === 'dst' ? 'S3' : 'S2';
    case 'closed-fin':
      return f.midStream ? 'OTH' : 'SF';
    case 'reset':
      return f.resetBy === 'dst' ? 'RSTR' : 'RSTO';
    default:
      return 'OTH';
  }
}

function zeekService(app: AppPeek | null): string {
  if (!app) return '-';
  if (app.http) return 'http';
  if (app.dns) return 'dns';
  if (app.tls) return 'ssl';
  return '-';
}

/** Zeek escapes tabs and non-printables as \xHH. */
function zeekString(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\xff\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) || '(empty)';
}

export function formatZeekRow(f: Flow): string {
  const port = (e: Endpoint) => (e.port < 0 ? '-' : String(e.port));
  const payload = (s: Flow['fwd']) => (f.proto === 6 ? s.streamBytes + s.gapBytes : s.payloadBytes);
  const cols = [
    zeekTime(f.firstUs),
    zeekString(f.id),
    f.src.ip,
    port(f.src),
    f.dst.ip,
    port(f.dst),
    f.proto === 6 ? 'tcp' : f.proto === 17 ? 'udp' : f.proto === 1 || f.proto === 58 ? 'icmp' : 'unknown_transport',
    zeekService(f.app),
    ((f.lastUs - f.firstUs) / 1e6).toFixed(6),
    String(payload(f.fwd)),
    String(payload(f.rev)),
    zeekState(f),
    '-',
    '-',
    String(f.fwd.gapBytes + f.rev.gapBytes),
    '-',
    String(f.fwd.packets),
    String(f.fwd.ipBytes),
    String(f.rev.packets),
    String(f.rev.ipBytes),
    '(empty)',
    f.communityId,
    zeekString(f.iface),
  ];
  return cols.join('\t');
}
