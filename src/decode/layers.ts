/**
 * What a layer decoder says comes next. Each decoder returns one of these and leaves the next
 * layer's offset in the Packet (l3Offset / l4Offset), so the dispatcher never allocates.
 */
export const NEXT_NONE = 0;
export const NEXT_IPV4 = 1;
export const NEXT_IPV6 = 2;
export const NEXT_ARP = 3;
export const NEXT_TCP = 4;
export const NEXT_UDP = 5;
export const NEXT_ICMP = 6;
export const NEXT_ICMPV6 = 7;
/** An IP payload natflow does not decode further (SCTP, GRE, ESP, ...): not an error. */
export const NEXT_OTHER = 8;

export type NextLayer = number;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/** Maps an EtherType to the network layer that follows it. */
export function nextForEtherType(etherType: number): NextLayer {
  switch (etherType) {
    case ETHERTYPE_IPV4:
      return NEXT_IPV4;
    case ETHERTYPE_IPV6:
      return NEXT_IPV6;
    case ETHERTYPE_ARP:
      return NEXT_ARP;
    default:
      return NEXT_NONE;
  }
}

/** Maps an IP protocol number (after extension headers) to the transport layer that follows. */
export function nextForIpProto(proto: number): NextLayer {
  switch (proto) {
    case IPPROTO_TCP:
      return NEXT_TCP;
    case IPPROTO_UDP:
      return NEXT_UDP;
    case IPPROTO_ICMP:
      return NEXT_ICMP;
    case IPPROTO_ICMPV6:
      return NEXT_ICMPV6;
    default:
      return NEXT_OTHER;
  }
}
