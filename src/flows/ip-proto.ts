/**
 * IP protocol numbers as the summaries name them. One table for `analyze` (text, Markdown, JSON),
 * `flows` and `check`'s `protocol:` selector, so a flow is called the same everywhere: a bare
 * number ("2") reads like a count or a port to a user, while every capture of docker0 has an
 * IGMP report in it (facts §3).
 */

interface ProtoNames {
  /** The lower-case keyword written in summaries and accepted by `check` (IANA / tshark spelling). */
  name: string;
  /** The word prose and ladder arrows use. */
  word: string;
}

// IANA "Assigned Internet Protocol Numbers"; 58 keeps the name natflow has always used (icmpv6,
// not IANA's ipv6-icmp), so existing JSON consumers and expectations files keep working.
const IP_PROTOS: ReadonlyMap<number, ProtoNames> = new Map([
  [1, { name: 'icmp', word: 'ICMP' }],
  [2, { name: 'igmp', word: 'IGMP' }],
  [4, { name: 'ipip', word: 'IPIP' }],
  [6, { name: 'tcp', word: 'TCP' }],
  [17, { name: 'udp', word: 'UDP' }],
  [47, { name: 'gre', word: 'GRE' }],
  [50, { name: 'esp', word: 'ESP' }],
  [51, { name: 'ah', word: 'AH' }],
  [58, { name: 'icmpv6', word: 'ICMPv6' }],
  [89, { name: 'ospf', word: 'OSPF' }],
  [103, { name: 'pim', word: 'PIM' }],
  [112, { name: 'vrrp', word: 'VRRP' }],
  [132, { name: 'sctp', word: 'SCTP' }],
  [136, { name: 'udplite', word: 'UDP-Lite' }],
]);

const BY_NAME: ReadonlyMap<string, number> = new Map([...IP_PROTOS].map(([n, p]) => [p.name, n]));

/** Every protocol name natflow writes, in protocol-number order. */
export const IP_PROTO_NAMES: readonly string[] = [...IP_PROTOS.values()].map((p) => p.name);

/** `igmp` for 2; the number as text for a protocol without a well-known name. */
export function ipProtoName(proto: number): string {
  return IP_PROTOS.get(proto)?.name ?? String(proto);
}

/** `IGMP` for 2; null for a protocol without a well-known name. */
export function ipProtoWord(proto: number): string | null {
  return IP_PROTOS.get(proto)?.word ?? null;
}

/** The number of a name `ipProtoName` writes (case-insensitive); null when it is not one. */
export function ipProtoNumber(name: string): number | null {
  return BY_NAME.get(name.toLowerCase()) ?? null;
}
