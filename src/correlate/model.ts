/**
 * The result of `natflow analyze`: what the correlator found and the explainer wrote. This is
 * the data model every presenter (text, Markdown, JSON, TUI, HTML report, `check`) reads; the
 * JSON output is a direct serialisation of it, so field names here are a stable interface.
 */

/** Stable vocabulary: see docs in README ("Mechanisms"). */
export type Mechanism = 'userland-proxy' | 'dnat' | 'snat' | 'dnat+snat' | 'bridge' | 'none';

export const MECHANISMS: readonly Mechanism[] = ['userland-proxy', 'dnat', 'snat', 'dnat+snat', 'bridge', 'none'];

/** A transport endpoint as printed: `ip:port`, IPv6 in brackets; ICMP uses the echo id as port. */
export type EndpointText = string;

export interface CaptureSummary {
  file: string;
  format: 'pcap' | 'pcapng' | null;
  /** Link types present (one for classic pcap). */
  linktype: number[];
  /** Interface display names found in this file. */
  interfaces: string[];
  packets: number;
  /**
   * Packets the capture kept only part of (a snaplen such as `tcpdump -s 96`), and the length they
   * were cut to: their payload is compared by stream length and by the bytes kept.
   */
  packetsCut: number;
  snaplen: number | null;
  /** Estimated clock offset of this file against the reference file, in seconds; null if unknown. */
  clockOffset: number | null;
  /** How the offset was obtained (e.g. "median of 212 same-packet matches with docker0.pcap"). */
  clockOffsetBasis: string | null;
  /** Set when the file was cut short or corrupt: what was read before it still counts. */
  error: string | null;
}

export interface FlowSummary {
  id: string;
  iface: string;
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | string;
  /** Initiator first. */
  src: EndpointText;
  dst: EndpointText;
  communityId: string;
  /** Seconds since the epoch, 6 decimals. */
  firstTs: string;
  lastTs: string;
  packets: number;
  bytes: number;
  state: string;
  app: AppSummary | null;
}

export interface AppSummary {
  http?: { method?: string; path?: string; host?: string; status?: number };
  dns?: { qname?: string; qtype?: string; answers?: string[] };
  tls?: { sni?: string };
}

/** One field compared across a hop: e.g. ISN, IP ID, TTL, MAC, payload. */
export interface FieldDiff {
  field: 'src-ip' | 'src-port' | 'dst-ip' | 'dst-port' | 'ttl' | 'isn' | 'ip-id' | 'tsval' | 'mac' | 'payload' | string;
  /** Value on the upstream leg and on the downstream leg, as displayed. */
  from: string;
  to: string;
  /** preserved = identical; rewritten = changed by the NAT; shifted = changed by a constant (e.g. TTL-1, seq offset); unrelated = independent (new connection). */
  verdict: 'preserved' | 'rewritten' | 'shifted' | 'unrelated';
}

export interface RuleRef {
  table: string;
  chain: string;
  text: string;
  /** Where the rule came from (file and line) when --rules was given. */
  source?: string;
  /** Packet / byte counters printed with the rule, when the dump had them. */
  counters?: { packets: number; bytes: number };
  /** Further rules that took part in the same rewrite (dnat+snat: the source-NAT rule after the DNAT). */
  also?: RuleRef[];
}

export interface Hop {
  /** Flow ids of the two legs this hop joins, in path order. */
  from: string;
  to: string;
  mechanism: Mechanism;
  /** Human-readable rewrite, e.g. "dst 198.18.0.1:5000 → 172.17.0.2:5000". */
  rewrite: string;
  rule: RuleRef | null;
  /** First SYN (or first packet) on `from` to the same on `to`, in seconds; null if not measurable. */
  latency: number | null;
  fields: FieldDiff[];
}

export interface Evidence {
  /** e.g. 'isn', 'ip-id', 'tsval', 'payload', 'timing', 'tuple', 'conntrack', 'rule', 'order'. */
  kind: string;
  /** One sentence with the real values, e.g. "SYN ISN 3107037655 identical on eth0 and docker0". */
  detail: string;
  /** How much this piece moved the confidence, in [0,1]. */
  weight: number;
  /**
   * The two legs (flow ids) this piece compares, in the order `values` gives their values: the
   * hop's from and to, or to and from for what travels back (a server→client byte stream).
   * Absent when it is about one leg or none (a rule, a conntrack entry, an ambiguity).
   */
  flows?: [string, string];
  /** The compared value on each side: ISN [3107037655, 3107037655], TTL [64, 63], a tuple, a digest. */
  values?: [EvidenceValue, EvidenceValue];
  /** How many were counted: packets matched, bytes relayed, rival connections. */
  count?: number;
  /** Seconds from the first side to the second: copy, dial, relay or close-propagation delay. */
  delay?: number;
  /**
   * A stream relayed by a proxy whose transfer the capture joined mid-way: how many bytes
   * earlier in the stream the second side's copy starts than the first's (what the proxy held
   * when the capture began; negative when the second side's capture began later).
   */
  offset?: number;
}

export type EvidenceValue = string | number;

/**
 * Starts a correlation's note when the host itself sent the connection into the bridge from an
 * address outside the container's network: DNAT in nat OUTPUT, inferred (describe.ts isLocalOriginDnat).
 */
export const LOCAL_DNAT_NOTE = 'DNAT in nat OUTPUT inferred';

/** Starts the note of a bridged conversation that conntrack shows NATed before or after the captured interfaces (side-inputs.ts). */
export const NAT_OUTSIDE_NOTE = 'NATed outside the captured interfaces, as conntrack shows';

/** In the note of a connection whose replies name a client address of the host's own (describe.ts halfHop). */
export const HOST_CLIENT_NOTE = 'an address of this host';

/** Starts a correlation's note on legs that were the same packets routed a second time (correlate.ts dropSecondDeliveries). */
export const SECOND_DELIVERY_NOTE = 'the same packets delivered a second time, TTL one lower, not another leg';

export interface Correlation {
  id: string;
  mechanism: Mechanism;
  confidence: number;
  /** Flow ids in path order (client side first). */
  legs: string[];
  /**
   * Each leg's Community ID, in leg order: one per NAT side (the outside and inside tuples), the
   * same again for each capture point of one side. What joins the conversation's records in Zeek,
   * Suricata or tshark output, where each side is a connection of its own.
   */
  communityIds: string[];
  /** natflow's id for the conversation as a whole, from its sides' Community IDs (./pair-id.ts). */
  pairId: string;
  hops: Hop[];
  evidence: Evidence[];
  /** Numbered-step explanation in plain language (without the numbers). */
  explanation: string[];
  /** Extra facts worth a flag: "source port remapped", "NAT helper or SYNPROXY suspected", "upstream refused". */
  notes: string[];
  /**
   * Flows that repeat one of the legs' packets: the same capture point recorded in another file
   * (e.g. docker0.pcap and the docker0 copies of an `-i any` capture), or, at another capture
   * point, the same packets routed a second time (a promiscuous docker0; see `notes`). Part of
   * this conversation, but not separate legs.
   */
  copies: CaptureCopy[];
  /**
   * ICMP errors reporting on this conversation (e.g. the container's port unreachable for a
   * datagram to a port without a socket), one per message, its copies on either side of the NAT
   * together. Absent when there are none.
   */
  icmpErrors?: IcmpErrorReport[];
}

/** One ICMP error message about a conversation, as it crossed the capture points. */
export interface IcmpErrorReport {
  /** ICMP / ICMPv6 type and code (3 / 3: port unreachable). */
  type: number;
  code: number;
  /** What type and code mean, e.g. "port unreachable". */
  name: string;
  /** The error's flows, one per capture point, in the order the message crossed them. */
  flows: string[];
  /** For each of `flows`, the leg whose tuple it quotes (on the same interface; NAT translated the quote). */
  quotes: string[];
  /** Error flows recorded again in another file: the same capture point as one of `flows`. */
  copies: CaptureCopy[];
}

export interface CaptureCopy {
  /** The flow recorded again. */
  flow: string;
  /** The leg it duplicates. */
  sameAs: string;
}

export interface Analysis {
  /** natflow version that produced this. */
  version: string;
  captures: CaptureSummary[];
  flows: FlowSummary[];
  correlations: Correlation[];
  unpaired: string[];
  /** One paragraph summarising the whole capture. */
  summary: string;
  /** What natflow inferred without side inputs, and contradictions found with them. */
  inferences: string[];
}
