/**
 * Flow records: natflow's interface-aware conn.log. The flow table (./flow-table.ts) builds them
 * from decoded packets; the correlator consumes them.
 *
 * Conventions:
 * - Time is `number` microseconds since the epoch (tsSec * 1e6 + tsNsec / 1e3), fields `...Us`.
 * - `src` is always the initiator (TCP: the SYN sender; for a connection the capture joined
 *   mid-way, the end on the client-like port; otherwise the first sender); `fwd` stats
 *   are packets src → dst, `rev` dst → src.
 * - Raw TCP sequence numbers everywhere (never relative): NAT keeps them, the correlator matches
 *   on them.
 * - null means "not seen".
 */
import type { StreamAnchors } from './stream-anchors.js';

/**
 * TCP flow state at the end of the capture (or when the flow was finalized).
 * - `syn-sent`: SYN seen, never answered on this interface.
 * - `rejected`: SYN answered by RST (closed port, or refused).
 * - `syn-received`: SYN-ACK seen but the handshake's final ACK (or any further packet) was not.
 * - `established`: handshake completed; reported by live flows only (finalized ones are `open`).
 * - `half-closed`: one side sent FIN, the other did not (still open at the end of the capture).
 * - `closed-fin`: both sides sent FIN.
 * - `reset`: RST after the connection was established (or mid-stream); see `resetBy`.
 * - `open`: established and still open at the end of the capture.
 * - `mid-stream`: the capture started after the handshake and no FIN/RST was seen
 *   (a mid-stream flow that later closes reports `closed-fin` / `reset` with `midStream: true`).
 * UDP / ICMP / other: `active` (still inside the idle timeout at the end) or `timeout`.
 */
export type TcpFlowState =
  | 'syn-sent'
  | 'rejected'
  | 'syn-received'
  | 'established'
  | 'half-closed'
  | 'closed-fin'
  | 'reset'
  | 'open'
  | 'mid-stream';
export type DatagramFlowState = 'active' | 'timeout';
export type FlowState = TcpFlowState | DatagramFlowState;

export type FlowSide = 'src' | 'dst';

export interface Endpoint {
  ip: string;
  /** TCP/UDP/SCTP port; ICMP: type (src) and code (dst) as Zeek does; -1 for port-less protocols. */
  port: number;
}

/** Options of the SYN (fwd) or SYN-ACK (rev). */
export interface TcpSynOptions {
  mss: number | null;
  wscale: number | null;
  sackPermitted: boolean;
  tsVal: number | null;
  tsEcr: number | null;
}

/** A hole in a reassembled stream: `length` bytes missing at stream offset `offset`. */
export interface StreamGap {
  offset: number;
  length: number;
}

export interface DirectionStats {
  /**
   * Distinct packets. In an old-style `-i any` capture (LINUX_SLL, link type 113: one interface
   * `any`, no interface index) a forwarded packet is recorded once per interface it crosses
   * (docker-nat-facts §3); those extra sightings are counted in `copies`, not here, and are never
   * retransmissions. So packets/bytes describe what the endpoints sent, and tshark's frame count
   * for the flow is `packets + copies`.
   */
  packets: number;
  /**
   * Extra sightings of a packet already counted, within 2 ms. LINUX_SLL v1: same seq, ack, flags,
   * lengths, IP id, TCP timestamp, window and payload bytes, TTL within ±1 (one routing hop).
   * Other link types: the same IP packet forwarded past this capture point again in another frame
   * (TTL one lower, or other MAC addresses), as a promiscuous docker0 shows hairpin packets (facts
   * §3); a byte-identical repeat is a frame recorded twice and still counts as a packet. They add
   * nothing to bytes, samples, reassembly or retransmissions.
   */
  copies: number;
  /** Sum of the original (wire) frame lengths, as tshark's conversation tables count bytes. */
  bytes: number;
  /** Sum of IP lengths (header + payload, as claimed), as Zeek's *_ip_bytes count. */
  ipBytes: number;
  /** Sum of transport payload lengths as claimed by the headers (captured or not). */
  payloadBytes: number;
  retransmissions: number;
  outOfOrder: number;
  zeroWindow: number;
  /** Raw initial sequence number (from the SYN / SYN-ACK); null if unseen. */
  isn: number | null;
  synOptions: TcpSynOptions | null;
  firstTsVal: number | null;
  lastTsVal: number | null;
  firstTtl: number | null;
  /** MAC addresses of the first packet in this direction, `aa:bb:cc:dd:ee:ff`; null without Ethernet. */
  firstMacSrc: string | null;
  firstMacDst: string | null;
  /** Number of holes in the reassembled stream (bytes never seen), details in `gapList` (bounded). */
  gaps: number;
  gapBytes: number;
  gapList: StreamGap[];
  /** The first bytes of the reassembled stream (TCP) or concatenated datagrams (UDP), bounded. */
  prefix: Uint8Array;
  /**
   * Hash of the whole reassembled stream (gaps skipped), 32 hex characters: MurmurHash3 x86_128,
   * not cryptographic; only meant for equality between two captures of one stream (the same bytes
   * give the same digest however they were segmented). null when no payload was seen.
   */
  digest: string | null;
  /**
   * The stream's last bytes (up to 1 KiB, after any gap) when the capture began after the
   * connection had opened; empty otherwise. Two copies of a download caught mid-way on the two
   * sides of a proxy start at different bytes but end with the same ones.
   */
  tail: Uint8Array;
  /**
   * Content-defined anchors of the stream (./stream-anchors.ts) when the capture began after the
   * connection had opened; null otherwise. Copies of a transfer caught mid-way share them at a
   * constant offset, even when the capture also stopped before its end.
   */
  anchors: StreamAnchors | null;
  /** In-order bytes delivered by reassembly (excluding gaps). */
  streamBytes: number;
  firstDataUs: number | null;
  lastDataUs: number | null;
}

export interface HttpPeek {
  method: string | null;
  path: string | null;
  host: string | null;
  /** Status code of the first response, null if unseen. */
  status: number | null;
}

export interface DnsPeek {
  qname: string;
  /** Numeric QTYPE (1 A, 28 AAAA, …). */
  qtype: number;
  /** Answer records as text (`A 1.2.3.4`, `CNAME x.example.`); empty when no response was seen. */
  answers: string[];
  /** RCODE of the response; null when no response was seen. */
  rcode: number | null;
}

export interface TlsPeek {
  sni: string | null;
}

/** What the first bytes of the flow say; every string is sanitized (no control characters). */
export interface AppPeek {
  http: HttpPeek | null;
  dns: DnsPeek | null;
  tls: TlsPeek | null;
}

export interface IcmpInfo {
  /** Type / code of the first packet. */
  type: number;
  code: number;
  /** Echo identifier for echo request/reply flows; null otherwise. */
  echoId: number | null;
  /**
   * For ICMP error flows (unreachable, time exceeded, …): the flow of the embedded header on the
   * same interface, or null if that flow was not seen.
   */
  linkedFlowId: string | null;
  /** Embedded header of an ICMP error, as quoted (NAT translates it too). */
  inner: { proto: number; src: Endpoint; dst: Endpoint } | null;
}

/**
 * The first N packets of a flow, as parallel typed arrays (index i = i-th packet of the flow, both
 * directions, in capture order). Trimmed to `count` when the flow is finalized.
 */
export interface FlowSamples {
  count: number;
  /** Packets of the flow not sampled because the limit was reached. */
  dropped: number;
  tsUs: Float64Array;
  /** 0 = fwd (src → dst), 1 = rev. */
  dir: Uint8Array;
  /** TCP flags (FIN=1 SYN=2 RST=4 PSH=8 ACK=16 …); 0 for other protocols. */
  flags: Uint16Array;
  /** Raw TCP seq / ack; -1 when absent (non-TCP, or ACK flag not set for ack still raw value). */
  seq: Float64Array;
  ack: Float64Array;
  /** IPv4 identification (IPv6: fragment id); -1 when absent. */
  ipId: Int32Array;
  /** TTL / hop limit; -1 when absent. */
  ttl: Int16Array;
  /** TCP timestamp option; -1 when absent. */
  tsVal: Float64Array;
  tsEcr: Float64Array;
  /** Transport payload length as claimed by the headers (falls back to the captured length). */
  payloadLen: Int32Array;
  /** 32-bit hash of the first 128 captured payload bytes (never 0); 0 when there is no payload. */
  payloadHash: Uint32Array;
  // The same values one packet at a time, without a typed-array view per column: for readers that
  // visit every flow (each view is an object; 40,000 flows × 11 columns add up).
  tsUsAt(i: number): number;
  dirAt(i: number): number;
  flagsAt(i: number): number;
  seqAt(i: number): number;
  ackAt(i: number): number;
  ipIdAt(i: number): number;
  ttlAt(i: number): number;
  tsValAt(i: number): number;
  tsEcrAt(i: number): number;
  payloadLenAt(i: number): number;
  payloadHashAt(i: number): number;
}

export interface Flow {
  /** Stable within one run: `f1`, `f2`, … in creation order. */
  id: string;
  /** Interface display name (`docker0`, `if3`, `any`, …). */
  iface: string;
  /** Unique per capture interface within the run (`<fileIndex>:<ifaceIndex>` or `<fileIndex>:sll<ifindex>`). */
  ifaceKey: string;
  /** Capture file the flow was read from, as given on the command line. */
  file: string;
  /** IP protocol number: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 132 SCTP, … */
  proto: number;
  ipVersion: 4 | 6;
  src: Endpoint;
  dst: Endpoint;
  communityId: string;
  firstUs: number;
  lastUs: number;
  state: FlowState;
  /** True when the capture started after the TCP handshake. */
  midStream: boolean;
  /** Which side sent the first FIN / the RST; null if none. */
  closedBy: FlowSide | null;
  resetBy: FlowSide | null;
  /**
   * One direction of a connection whose other direction shows a different tuple on this
   * interface (docker-nat-facts §3): the first packet was a SYN-ACK (src/dst were then set from
   * the SYN-ACK's receiver / sender), or the flow only ever saw the reverse of a SYN we never saw.
   * The correlator joins these.
   */
  halfFlow: boolean;
  fwd: DirectionStats;
  rev: DirectionStats;
  /** SYN → SYN-ACK on this interface (the capture point's view); null if not both seen. */
  handshakeRttUs: number | null;
  app: AppPeek | null;
  icmp: IcmpInfo | null;
  /** Ids of ICMP error flows whose embedded header points at this flow. */
  icmpErrorFlowIds: string[];
  /** LINUX_SLL / SLL2 packet types seen (0 host, 1 broadcast, 2 multicast, 3 otherhost, 4 outgoing), sorted. */
  sllPktTypes: number[];
  /**
   * The same per direction (fwd: what src sent, rev: the replies), when any was seen: which way
   * each side's packets went at this interface, e.g. a SYN received (0) answered by an RST this
   * host sent (4). Null or absent without a Linux cooked capture.
   */
  sllPktTypesByDir?: SllPktTypesByDir | null;
  samples: FlowSamples;
}

/** Linux cooked packet types of each direction of a flow, sorted. */
export interface SllPktTypesByDir {
  fwd: number[];
  rev: number[];
}

/** An ARP packet, kept per interface (bounded). */
export interface ArpEvent {
  tsUs: number;
  iface: string;
  ifaceKey: string;
  /** 1 request, 2 reply. */
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface FlowTableOptions {
  /** Bytes of reassembled stream kept per direction (default 65536). */
  prefixBytes?: number;
  /** Packets sampled per flow (default 256). */
  samplePackets?: number;
  /** UDP / ICMP / other idle timeout in microseconds (default 60 s). */
  udpTimeoutUs?: number;
  /** A closed TCP flow stays open this long for late ACKs / retransmitted FINs (default 2 s). */
  closeLingerUs?: number;
  /** Out-of-order segments buffered per direction before a gap is declared (default 64). */
  maxOutOfOrderSegments?: number;
  /** ARP events kept per interface (default 1000). */
  maxArpEventsPerInterface?: number;
  /** Community ID seed (default 0). */
  communityIdSeed?: number;
  /** Called once per flow when it is finalized (closed + linger, timed out, or at finish()). */
  onFlowClosed?: (flow: Flow) => void;
  /**
   * Keep finalized flows for finish() (default true). Set false to stream flows through
   * onFlowClosed only: memory then stays bounded by the number of live flows.
   */
  retainFlows?: boolean;
}

export { FlowTable } from './flow-table.js';
