import type { Flow } from './flow.js';

/**
 * Link-local control traffic: IPv6 neighbor discovery (RFC 4861) and multicast listener
 * discovery (RFC 2710, 3810), IGMP. Every dual-stack interface carries some, none of it is
 * routed or NATed, so it is never a conversation anyone expects natflow to pair (ARP, the IPv4
 * counterpart of neighbor discovery, is no IP flow at all).
 */
export function isLinkControl(f: Pick<Flow, 'proto' | 'icmp'>): boolean {
  if (f.proto === 2) return true;
  if (f.proto !== 58) return false;
  const t = f.icmp?.type ?? -1;
  return (t >= 130 && t <= 137) || t === 143;
}
