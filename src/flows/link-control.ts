import type { Flow } from './flow.js';

/**
 * Link-local control traffic: IPv6 neighbor discovery (RFC 4861) and multicast listener
 * discovery (RFC 2710, 3810), IGMP. Every dual-stack interface carries some, none of it is
 * routed or NATed, so it is never a conversation anyone expects natflow to pair (ARP, the IPv4
 * counterpart of neighbor discovery, is no IP flow at all).
 */
export function isLinkControl(f: Pick<Flow, 'proto' | 'icmp'>): boolean {
  return linkControlName(f) !== null;
}

/** What kind of link-local control traffic the flow is ("IGMP", "neighbor discovery (…)"), or null. */
export function linkControlName(f: Pick<Flow, 'proto' | 'icmp'>): string | null {
  if (f.proto === 2) return 'IGMP';
  return f.proto === 58 ? neighborDiscoveryName(f.icmp?.type) : null;
}

/** The kinds of link-local control traffic, in the order every summary names them. */
export const LINK_CONTROL_KINDS = ['neighbor discovery', 'MLD', 'IGMP'] as const;
export type LinkControlKind = (typeof LINK_CONTROL_KINDS)[number];

/** Which kind of link-local control traffic the flow is, or null. */
export function linkControlKind(f: Pick<Flow, 'proto' | 'icmp'>): LinkControlKind | null {
  if (f.proto === 2) return 'IGMP';
  if (f.proto !== 58) return null;
  const name = neighborDiscoveryName(f.icmp?.type);
  return name === null ? null : name.startsWith('multicast listener') ? 'MLD' : 'neighbor discovery';
}

/**
 * The kinds present among `kinds`, each once, in LINK_CONTROL_KINDS order: "neighbor discovery,
 * MLD" (with `or`: "neighbor discovery or MLD"). A summary of IPv6-only captures should not name
 * IGMP, nor one of docker0's IGMP report name neighbor discovery. Empty when none is known.
 */
export function linkControlKindsText(kinds: Iterable<LinkControlKind | null | undefined>, or = false): string {
  const present = new Set(kinds);
  const list: string[] = LINK_CONTROL_KINDS.filter((k) => present.has(k));
  if (!or || list.length < 2) return list.join(', ');
  return `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

/** `ids` (flow ids, e.g. the unpaired ones) split into link-local control traffic and the rest, each in order. */
export function splitLinkControl(ids: readonly string[], flows: ReadonlyMap<string, Pick<Flow, 'proto' | 'icmp'>>): { control: string[]; rest: string[] } {
  const control: string[] = [];
  const rest: string[] = [];
  for (const id of ids) {
    const f = flows.get(id);
    (f !== undefined && isLinkControl(f) ? control : rest).push(id);
  }
  return { control, rest };
}

/** ICMPv6 neighbor discovery (RFC 4861) and multicast listener (RFC 2710, 3810) messages. */
export function neighborDiscoveryName(type: number | undefined): string | null {
  switch (type) {
    case 130: return 'multicast listener discovery (MLD query)';
    case 131: case 143: return 'multicast listener discovery (MLD report)';
    case 132: return 'multicast listener discovery (MLD done)';
    case 133: return 'neighbor discovery (router solicitation)';
    case 134: return 'neighbor discovery (router advertisement)';
    case 135: return 'neighbor discovery (neighbor solicitation)';
    case 136: return 'neighbor discovery (neighbor advertisement)';
    case 137: return 'neighbor discovery (redirect)';
    default: return null;
  }
}
