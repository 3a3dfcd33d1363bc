import { NAT_OUTSIDE_NOTE, type Analysis, type FlowSummary, type Mechanism } from '../correlate/model.js';
import { sanitizeText } from '../present/sanitize.js';
import { linkControlKindsText, type LinkControlKind } from '../flows/link-control.js';
import { isBackgroundNoise } from '../correlate/link-scope.js';

const PHRASE: Record<Mechanism, string> = {
  'userland-proxy': 'through the userland proxy',
  dnat: 'through DNAT',
  snat: 'through SNAT/MASQUERADE',
  'dnat+snat': 'through DNAT + MASQUERADE',
  bridge: 'bridged without rewrite',
  none: 'without counterpart',
};
const ORDER: Mechanism[] = ['userland-proxy', 'dnat', 'snat', 'dnat+snat', 'bridge'];
/** A bridge correlation one of whose hops the host routed (same tuple, TTL one lower). */
const ROUTED = 'routed without NAT';

/** The address of an `ip:port` (IPv6 in brackets), or of an endpoint without a port. */
function addressOf(endpoint: string): string {
  const m = /^\[([^\]]*)\](?::\d+)?$|^([^:]+)(?::\d+)?$/.exec(endpoint);
  return m === null ? endpoint : (m[1] ?? m[2]);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * What the summary reads of a flow, by id. `linkControl`: neighbor discovery, MLD or IGMP
 * (../flows/link-control.ts), known only where the flow records are.
 */
export type FlowLookup = (id: string) => (Pick<FlowSummary, 'iface' | 'dst'> & { linkControl?: boolean; linkControlKind?: LinkControlKind | null; proto?: string; packets?: number }) | undefined;

/**
 * One paragraph: conversations per mechanism, unpaired flows per interface, clock offsets.
 * `flowOf` finds a flow's interface and destination (default: in `a.flows`); the pipeline gives
 * one that reads the flows, so the summary does not make every flow's summary first.
 */
export function summarizeAnalysis(a: Analysis, flowOf?: FlowLookup): string {
  let lookup = flowOf;
  if (lookup === undefined) {
    const flowById = new Map(a.flows.map((f) => [f.id, f]));
    lookup = (id) => flowById.get(id);
  }
  // A bridged multicast packet (docker0's IGMPv3 report) is background noise, not a conversation;
  // so is IPv6 neighbor discovery and MLD across the bridge (unicast neighbor advertisements too).
  const allNoise = a.correlations.filter((c) => {
    // Only a bridged correlation can be noise: the others' flows are not looked up (20,000 of them).
    if (c.mechanism !== 'bridge') return false;
    const lead = lookup(c.legs[0]);
    return isBackgroundNoise(c.mechanism, lead?.linkControl === true, addressOf(lead?.dst ?? ''));
  });
  const isV6Noise = (c: Analysis['correlations'][number]): boolean => lookup(c.legs[0])?.proto === 'icmpv6' && lookup(c.legs[0])?.linkControl === true;
  const v6Noise = allNoise.filter(isV6Noise);
  const noise = allNoise.filter((c) => !isV6Noise(c));
  const isNoise = new Set(allNoise);
  const paired = a.correlations.filter((c) => c.mechanism !== 'none' && !isNoise.has(c));
  const parts: string[] = [];
  const isRouted = (c: Analysis['correlations'][number]): boolean => c.mechanism === 'bridge' && c.hops.some((h) => h.rewrite === 'no rewrite (routed)');
  const routed = paired.filter(isRouted);
  const byMech = ORDER.map((m) => [m, paired.filter((c) => c.mechanism === m && !isRouted(c))] as const).filter(([, cs]) => cs.length > 0);
  const counts = byMech.map(([m, cs]) => `${cs.length} ${PHRASE[m]}`);
  if (routed.length > 0) counts.push(`${routed.length} ${ROUTED}`);
  let head = paired.length === 0
    ? 'No conversations were paired across the captures'
    : `${plural(paired.length, 'conversation')}: ${counts.join(', ')}`;
  const remaps = paired.filter((c) => c.notes.some((n) => /remap/i.test(n))).length;
  const helpers = paired.filter((c) => c.notes.some((n) => /helper|synproxy/i.test(n))).length;
  const refused = paired.filter((c) => c.notes.some((n) => /refused/i.test(n))).length;
  const extras: string[] = [];
  if (remaps) extras.push(`${remaps} with a remapped source port or echo id`);
  if (helpers) extras.push(`${helpers} with a constant sequence offset (NAT helper or SYNPROXY suspected)`);
  if (refused) extras.push(`${refused} where the proxy's upstream refused the connection`);
  // Bridged between the capture points, yet NATed outside them (--conntrack shows it): "without
  // rewrite" alone would say no NAT touched them.
  const natOutside = paired.filter((c) => c.notes.some((n) => n.startsWith(NAT_OUTSIDE_NOTE))).length;
  if (natOutside) extras.push(`${natOutside} ${NAT_OUTSIDE_NOTE}`);
  if (extras.length) head += ` (${extras.join('; ')})`;
  parts.push(head);
  // Packets, not correlations: one correlation holds every copy of a run of such packets.
  const packetsOf = (cs: readonly Analysis['correlations'][number][]): number => cs.reduce((n, c) => n + Math.max(1, lookup(c.legs[0])?.packets ?? 1), 0);
  if (noise.length) {
    const igmp = noise.every((c) => lookup(c.legs[0])?.proto === 'igmp');
    const n = packetsOf(noise);
    parts.push(
      igmp
        ? `${plural(n, 'multicast packet')} bridged as background noise (IGMP reports), not ${n === 1 ? 'a conversation' : 'conversations'}`
        : `${plural(n, 'multicast or broadcast packet')} seen at several capture points, background noise, not ${n === 1 ? 'a conversation' : 'conversations'}`,
    );
  }
  if (v6Noise.length) {
    const n = packetsOf(v6Noise);
    parts.push(`${plural(n, 'IPv6 neighbor discovery or MLD packet')} bridged as background noise, not ${n === 1 ? 'a conversation' : 'conversations'}`);
  }

  const unpairedIds = [...a.unpaired, ...a.correlations.filter((c) => c.mechanism === 'none').flatMap((c) => c.legs)];
  const unique = [...new Set(unpairedIds)];
  // Every dual-stack link carries neighbor discovery and MLD: counted apart, not as findings.
  const control = unique.filter((id) => lookup(id)?.linkControl === true);
  const rest = control.length === 0 ? unique : unique.filter((id) => lookup(id)?.linkControl !== true);
  if (rest.length) parts.push(perIfaceText(rest, lookup, 'unpaired flow'));
  if (control.length) {
    // Only the kinds these flows are (an IPv6 capture has no IGMP, docker0's report is no ND).
    const kinds = linkControlKindsText(control.map((id) => lookup(id)?.linkControlKind));
    parts.push(`link-local control traffic${kinds === '' ? '' : ` (${kinds})`}, never NATed: ${perIfaceText(control, lookup, 'flow')}`);
  }
  let text = parts.join('; ') + '.';
  const offsets = a.captures.filter((c) => c.clockOffset !== null && Math.abs(c.clockOffset) >= 1e-6);
  if (offsets.length) {
    text += ` Clock offsets applied: ${offsets.map((c) => `${sanitizeText(c.file)} ${c.clockOffset! >= 0 ? '+' : ''}${(c.clockOffset! * 1000).toFixed(3)} ms${c.clockOffsetBasis ? ` (${sanitizeText(c.clockOffsetBasis)})` : ''}`).join(', ')}.`;
  }
  return text;
}

/** "3 unpaired flows on eth0, 1 on docker0": per interface, most first. */
function perIfaceText(ids: readonly string[], lookup: FlowLookup, noun: string): string {
  const perIface = new Map<string, number>();
  for (const id of ids) {
    const i = sanitizeText(lookup(id)?.iface ?? '?');
    perIface.set(i, (perIface.get(i) ?? 0) + 1);
  }
  const list = [...perIface].sort((x, y) => y[1] - x[1]);
  return list.map(([i, n], k) => (k === 0 ? `${plural(n, noun)} on ${i}` : `${n} on ${i}`)).join(', ');
}
