/**
 * What one hop did to the packet: which tuple fields changed (the mechanism follows from that),
 * and the per-field preservation diff the report shows.
 */
import type { Flow } from '../flows/flow.js';
import type { FieldDiff, Mechanism } from './model.js';
import { endpointText, isIcmp, type ConnNode } from './conn-node.js';

export interface TupleChange {
  srcIp: boolean;
  srcPort: boolean;
  dstIp: boolean;
  dstPort: boolean;
}

export function tupleChange(x: ConnNode, y: ConnNode): TupleChange {
  return {
    srcIp: x.client.ip !== y.client.ip,
    srcPort: x.client.port !== y.client.port,
    dstIp: x.server.ip !== y.server.ip,
    dstPort: x.server.port !== y.server.port,
  };
}

export function mechanismOf(c: TupleChange): Mechanism {
  const src = c.srcIp || c.srcPort;
  const dst = c.dstIp || c.dstPort;
  if (src && dst) return 'dnat+snat';
  if (dst) return 'dnat';
  if (src) return 'snat';
  return 'bridge';
}

export function rewriteText(x: ConnNode, y: ConnNode, c: TupleChange): string {
  const parts: string[] = [];
  if (c.srcIp || c.srcPort) parts.push(`src ${endpointText(x.client)} → ${endpointText(y.client)}`);
  if (c.dstIp || c.dstPort) parts.push(`dst ${endpointText(x.server)} → ${endpointText(y.server)}`);
  return parts.length > 0 ? parts.join(', ') : 'no rewrite (bridged)';
}

function firstFwd<T>(n: ConnNode, pick: (f: Flow, i: number) => T | null): T | null {
  for (const f of n.parts) {
    const s = f.samples;
    for (let i = 0; i < s.count; i++) {
      if (s.dir[i] !== 0) continue;
      const v = pick(f, i);
      if (v !== null) return v;
    }
  }
  return null;
}

function cmp(field: string, a: string | number | null, b: string | number | null, unrelated: boolean): FieldDiff | null {
  if (a === null && b === null) return null;
  const from = a === null ? '—' : String(a);
  const to = b === null ? '—' : String(b);
  if (unrelated && from !== to) return { field, from, to, verdict: 'unrelated' };
  return { field, from, to, verdict: from === to ? 'preserved' : 'rewritten' };
}

/**
 * Field-preservation diff from the upstream leg `x` to the downstream leg `y`. `relay` marks a
 * new connection (proxy): counters are then unrelated rather than rewritten.
 */
export function fieldDiffs(x: ConnNode, y: ConnNode, relay: boolean, seqOffset: number | null): FieldDiff[] {
  const out: FieldDiff[] = [];
  const push = (d: FieldDiff | null): void => {
    if (d) out.push(d);
  };
  push(cmp('src-ip', x.client.ip, y.client.ip, false));
  if (x.client.port >= 0 || y.client.port >= 0) push(cmp(isIcmp(x.proto) ? 'icmp-id' : 'src-port', x.client.port, y.client.port, false));
  push(cmp('dst-ip', x.server.ip, y.server.ip, false));
  if (x.server.port >= 0 || y.server.port >= 0) push(cmp('dst-port', x.server.port, y.server.port, false));
  const ttlX = x.parts[0].fwd.firstTtl;
  const ttlY = y.parts[0].fwd.firstTtl;
  if (ttlX !== null || ttlY !== null) {
    const d = cmp('ttl', ttlX, ttlY, relay)!;
    if (!relay && ttlX !== null && ttlY !== null && ttlY === ttlX - 1) d.verdict = 'shifted';
    out.push(d);
  }
  if (x.fwdIsn !== null || y.fwdIsn !== null) {
    const d = cmp('isn', x.fwdIsn, y.fwdIsn, relay)!;
    if (!relay && seqOffset !== null && seqOffset !== 0) d.verdict = 'shifted';
    out.push(d);
  }
  const ipId = (n: ConnNode) => firstFwd(n, (f, i) => (f.samples.ipId[i] >= 0 ? f.samples.ipId[i] : null));
  push(cmp('ip-id', ipId(x), ipId(y), relay));
  push(cmp('tsval', x.parts[0].fwd.firstTsVal, y.parts[0].fwd.firstTsVal, relay));
  const mac = (n: ConnNode) => n.parts[0].fwd.firstMacSrc;
  push(cmp('mac', mac(x), mac(y), false));
  const pay = (n: ConnNode) => {
    const f = n.parts[0].fwd;
    return f.digest === null ? null : `${f.streamBytes} B sha1 ${f.digest.slice(0, 12)}`;
  };
  push(cmp('payload', pay(x), pay(y), false));
  return out;
}
