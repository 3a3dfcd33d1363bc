/** The lab's truth.json and meta.json (captures/README.md), as every stage's tests read them. */

export interface TruthTuple {
  proto: 'tcp' | 'udp' | 'icmp';
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
  icmpId: number | null;
}

export interface TruthLeg {
  role: string;
  interfaces: string[];
  tuple: TruthTuple;
  /** Replies seen under another tuple on an interface (reverse NAT at the bridge hook). */
  replies?: Record<string, TruthTuple[]>;
  conntrack: string;
  conntrackSource: string;
}

export interface TruthEndpoint {
  ip: string;
  port?: number;
  icmpId?: number;
}

export interface TruthConversation {
  id: string;
  /** Text the lab client put in the request (HTTP query, DNS name, ICMP payload). */
  marker: string | null;
  markerKind: 'http-query' | 'dns-qname' | 'icmp-payload' | null;
  proto: 'tcp' | 'udp' | 'icmp';
  mechanism: 'userland-proxy' | 'dnat' | 'snat' | 'dnat+snat' | 'bridge' | 'none';
  linkedBy: 'marker' | 'sole-candidate' | null;
  translation: { dnat: { from: TruthEndpoint; to: TruthEndpoint } | null; snat: { from: TruthEndpoint; to: TruthEndpoint } | null } | null;
  legs: TruthLeg[];
  /** ICMP errors reporting on this conversation (from 11 on; absent when there were none). */
  icmpErrors?: TruthIcmpError[];
}

/**
 * One ICMP error as it crossed the host: NAT rewrites its outer addresses and the header it
 * quotes, and leaves type, code and both IP IDs alone.
 */
export interface TruthIcmpError {
  type: number;
  code: number;
  /** Outer IP ID, the same on every interface. */
  ipId: number;
  /** IP ID of the quoted packet (the datagram the error reports on). */
  quotedIpId: number;
  legs: TruthIcmpErrorLeg[];
}

export interface TruthIcmpErrorLeg {
  /** Role of the conversation leg whose tuple this copy quotes. */
  quotes: string;
  interfaces: string[];
  /** Outer addresses on those interfaces. */
  src: string;
  dst: string;
  quoted: TruthTuple;
}

export interface Truth {
  schema: string;
  scenario: string;
  mode: 'userland-proxy' | 'no-proxy';
  /** record.sh --snaplen: the packets were cut to this many bytes. Absent for whole packets. */
  snaplen?: number;
  derivedFrom: string[];
  conversations: TruthConversation[];
}

export interface ScenarioMeta {
  scenario: string;
  mode: string;
  interfaces: Record<string, string>;
  captures: { perInterface: Record<string, string>; any: string; pcapng: string };
  /** Interfaces all.pcapng records; absent: lo, docker0 and eth0. */
  pcapngInterfaces?: string[];
  sysctl: Record<string, string | boolean | null>;
}
