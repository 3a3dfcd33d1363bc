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
}

export interface Truth {
  schema: string;
  scenario: string;
  mode: 'userland-proxy' | 'no-proxy';
  derivedFrom: string[];
  conversations: TruthConversation[];
}

export interface ScenarioMeta {
  scenario: string;
  mode: string;
  interfaces: Record<string, string>;
  captures: { perInterface: Record<string, string>; any: string; pcapng: string };
  sysctl: Record<string, string | boolean | null>;
}
