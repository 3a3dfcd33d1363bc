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
