/** Flow → the JSON/presenter summary (model.ts FlowSummary). */
import type { AppPeek, Flow } from '../flows/flow.js';
import type { AppSummary, FlowSummary } from './model.js';
import { endpointText, isIcmp, wireEndpoints } from './conn-node.js';
import { ipProtoName } from '../flows/ip-proto.js';

const QTYPES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 65: 'HTTPS' };

/** The protocol as every summary writes it: `tcp`, `igmp`, …; a number only when it has no name. */
export function protoName(p: number): string {
  return ipProtoName(p);
}

export function tsText(us: number): string {
  const sec = Math.floor(us / 1e6);
  const frac = Math.round(us - sec * 1e6);
  return `${sec}.${String(frac).padStart(6, '0')}`;
}

function appSummary(a: AppPeek | null): AppSummary | null {
  if (a === null) return null;
  const out: AppSummary = {};
  if (a.http) {
    const h: NonNullable<AppSummary['http']> = {};
    if (a.http.method !== null) h.method = a.http.method;
    if (a.http.path !== null) h.path = a.http.path;
    if (a.http.host !== null) h.host = a.http.host;
    if (a.http.status !== null) h.status = a.http.status;
    out.http = h;
  }
  // qtype -1: the capture cut the question before its type (app-peek.ts parseDns).
  if (a.dns) out.dns = a.dns.qtype < 0 ? { qname: a.dns.qname, answers: a.dns.answers } : { qname: a.dns.qname, qtype: QTYPES[a.dns.qtype] ?? String(a.dns.qtype), answers: a.dns.answers };
  if (a.tls) out.tls = a.tls.sni !== null ? { sni: a.tls.sni } : {};
  return out.http || out.dns || out.tls ? out : null;
}

/** What the text presenter prints of a flow: a summary without the Community ID (a SHA-1) and times. */
export type FlowBrief = Pick<FlowSummary, 'iface' | 'proto' | 'src' | 'dst' | 'packets' | 'state' | 'app'>;

/** The flow's source and destination as the summaries write them. */
export function flowEndpointTexts(f: Flow): { src: string; dst: string } {
  const { client, server } = wireEndpoints(f);
  // ICMP: the echo id is the conversation's "port" on both ends.
  const dst = isIcmp(f.proto) && client.port >= 0 ? endpointText({ ip: server.ip, port: client.port }) : endpointText(server);
  return { src: endpointText(client), dst };
}

export function briefFlow(f: Flow): FlowBrief {
  const { src, dst } = flowEndpointTexts(f);
  return { iface: f.iface, proto: protoName(f.proto), src, dst, packets: f.fwd.packets + f.rev.packets, state: f.state, app: appSummary(f.app) };
}

export function summarizeFlow(f: Flow): FlowSummary {
  const { src, dst } = flowEndpointTexts(f);
  return {
    id: f.id,
    iface: f.iface,
    proto: protoName(f.proto),
    src,
    dst,
    communityId: f.communityId,
    firstTs: tsText(f.firstUs),
    lastTs: tsText(f.lastUs),
    packets: f.fwd.packets + f.rev.packets,
    bytes: f.fwd.bytes + f.rev.bytes,
    state: f.state,
    app: appSummary(f.app),
  };
}

/**
 * A leg made only of the server's packets (a half-flow: the replies on docker0 carry the tuple
 * before MASQUERADE, facts §3): written client first like every leg, though no packet on this
 * interface went that way.
 */
export function repliesOnly(f: Flow | undefined): boolean {
  return f !== undefined && f.halfFlow && f.fwd.packets === 0 && f.rev.packets > 0;
}
