/**
 * A renderer-independent ladder (sequence) diagram of one correlation, built by ./build-ladder.ts
 * and drawn by the HTML report (SVG), the Markdown presenter (Mermaid) and any other view.
 *
 * Geometry: a correlation with N legs has N+1 lanes. Lane 0 is the client, lane N the server,
 * lane k (0 < k < N) the hop between leg k-1 and leg k (NAT, docker-proxy, bridge). Leg k is the
 * conversation as captured on one interface and spans lanes k and k+1: its forward packets
 * (initiator → responder) go from lane k to lane k+1, replies from k+1 to k.
 *
 * Time runs downwards. `gapBefore` carries the non-linear scale so every renderer spaces events
 * the same way; every string is sanitized (no control characters) but NOT escaped for any
 * markup: renderers escape for their own syntax.
 */
import type { FieldDiff, Mechanism } from '../../correlate/model.js';

export type LaneRole = 'client' | 'server' | 'proxy' | 'nat' | 'bridge' | 'host';

export interface LadderLane {
  index: number;
  role: LaneRole;
  /** Short heading: `client`, `docker-proxy`, `NAT (DNAT)`, `container`, `server`, … */
  title: string;
  /** Endpoints this lane shows on its legs (`ip:port`), in leg order, without duplicates. */
  addresses: string[];
}

export interface LadderLeg {
  index: number;
  flowId: string;
  /** Interface display name the leg was captured on. */
  iface: string;
  file: string;
  /** Lanes the leg spans: forward packets go fromLane → toLane. */
  fromLane: number;
  toLane: number;
  /** Initiator and responder as printed (`ip:port`). */
  src: string;
  dst: string;
  proto: string;
  /** Packets of the flow, packets sampled by the flow table, packets drawn. */
  packets: number;
  sampled: number;
  shown: number;
}

/** Fields common to every event. */
interface EventBase {
  /** Capture time corrected by the file's clock offset, microseconds since the epoch. */
  tsUs: number;
  /** Microseconds since the first event of the ladder. */
  relUs: number;
  /** Microseconds since the previous event (0 for the first). */
  dtUs: number;
  /**
   * Extra vertical space before this event, in rows (0 … MAX_GAP_ROWS): the non-linear time
   * scale. One row is the renderer's line height; events closer than 100 µs get none.
   */
  gapBefore: number;
  /** The pause before this event is long enough (≥ 1 s) to deserve a visible time break. */
  timeBreak: boolean;
}

export interface LadderPacketEvent extends EventBase {
  kind: 'packet';
  leg: number;
  dir: 'fwd' | 'rev';
  fromLane: number;
  toLane: number;
  /** Packets merged into this arrow (> 1 for a burst of data segments in one direction). */
  count: number;
  /** TCP flag names joined by '-', e.g. `SYN-ACK`, `PSH-ACK`; protocol name for non-TCP. */
  flags: string;
  /** Sequence number: raw on SYN / SYN-ACK (NAT keeps it, a proxy does not), else relative to the ISN; null if not TCP or the ISN is unknown. */
  seq: number | null;
  seqRelative: boolean;
  /** Payload bytes (sum for a burst). */
  len: number;
  /** First line of the HTTP request / response this packet starts, or a DNS question/answer. */
  app: string | null;
  /** Everything above as one short line: `SYN seq 1221453536`, `PSH-ACK seq +1 len 113`. */
  label: string;
}

export interface LadderCrossing extends EventBase {
  kind: 'crossing';
  /** Index into the correlation's hops; the lane is that hop's lane. */
  hop: number;
  lane: number;
  mechanism: Mechanism;
  /** `NAT rewrite (DNAT)`, `docker-proxy hand-off: new connection`, `bridge (same packet)`, … */
  title: string;
  /** The correlator's one-line rewrite. */
  rewrite: string;
  /** Fields the hop changed (rewritten, shifted, unrelated) and the ones it kept. */
  changed: FieldDiff[];
  preserved: FieldDiff[];
}

export type LadderEvent = LadderPacketEvent | LadderCrossing;

export interface Ladder {
  correlationId: string;
  mechanism: Mechanism;
  lanes: LadderLane[];
  legs: LadderLeg[];
  /** Time order; a crossing comes right before the first packet of the leg it leads to. */
  events: LadderEvent[];
  /** Epoch microseconds of the first event (0 when there is none). */
  startUs: number;
  /** Limits that hid packets, in words (`lo: first 40 of 5210 packets drawn`). */
  notes: string[];
}
