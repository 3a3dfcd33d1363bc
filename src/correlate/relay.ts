/**
 * Relay matching (docker-proxy, or any L4 proxy): a second TCP connection that the proxy opens
 * right after accepting the first one and that carries the same reassembled byte stream in each
 * direction. ISN, IP ID and TSval are unrelated, so only streams and timing can pair them; when
 * many conversations carry identical bytes, a global greedy assignment by lowest delay decides
 * and the result says it was ambiguous. A capture that kept only the first bytes of each packet
 * (a snaplen) keeps other pieces on the proxy's two sides: then streams are compared by their
 * length in sequence space and the first bytes both sides kept (sameBytes).
 *
 * docker-proxy relays UDP too: a client's datagram to the host port is sent on from a new socket
 * of the proxy's (a new source port per client), the container's replies written back from the
 * host port. With no handshake, such a relay needs the same datagram bytes in both directions;
 * the "dial" is the first forwarded datagram.
 */
import type { Flow } from '../flows/flow.js';
import { knownHead } from '../flows/stream-head.js';
import { PROTO_TCP, PROTO_UDP, sameEndpoint, type ConnNode } from './conn-node.js';
import { minCostAssignment } from './assignment.js';
import { UnionFind } from './union-find.js';
import { initialTtl, notOnePeer } from './link-scope.js';
import { ANCHOR_SPAN, atLevel, type StreamAnchors } from '../flows/stream-anchors.js';

const SYN = 0x02;
const FIN = 0x01;
const RST = 0x04;
const ACK = 0x10;

/** Clock error tolerated when ordering events on two legs, microseconds. */
const TOLERANCE_US = 200;
/** Longest accepted delay between the client's handshake and the proxy's dial. */
const DIAL_WINDOW_US = 1_000_000;
/** Without any payload to compare, only a very prompt dial counts. */
const NO_DATA_WINDOW_US = 100_000;

export interface RelayEnd {
  group: number;
  node: ConnNode;
  /** TCP: the client's SYN; UDP: the first client datagram. */
  syn: number;
  accept: number | null;
  fwdData: number | null;
  revData: number | null;
  fwdFin: number | null;
  revFin: number | null;
  fwdDigest: string | null;
  revDigest: string | null;
  /**
   * Stream lengths in TCP sequence space (datagram bytes for UDP): what the headers say was sent,
   * whether or not the capture kept the bytes.
   */
  fwdBytes: number;
  revBytes: number;
  /**
   * The capture kept only part of the stream (a snaplen cut the packets short, or packets were
   * lost): its digest covers what was kept, and says nothing about the rest.
   */
  fwdCut: boolean;
  revCut: boolean;
  /** The stream's first bytes, as far as they are known at their offsets (up to the first gap). */
  fwdHead: Uint8Array;
  revHead: Uint8Array;
  /** The stream's last bytes, kept when the capture joined it mid-way (else empty). */
  fwdTail: Uint8Array;
  revTail: Uint8Array;
  /** The stream's content-defined anchors, kept when the capture joined it mid-way (else null). */
  fwdAnchors: StreamAnchors | null;
  revAnchors: StreamAnchors | null;
  /** Time of the last byte delivered each way (null when none). */
  fwdLast: number | null;
  revLast: number | null;
  rejected: boolean;
  /**
   * The connection was open before the capture began: no handshake to time the dial by. Its
   * `syn` is then its first client data, and it pairs only with another such end carrying the
   * same whole streams both ways (see evaluate).
   */
  midStream: boolean;
  /**
   * Whether a process on this host can have sent this connection's client → server packets (as
   * the proxy's dial) and its server → client packets (as the proxy accepting it): the TTL a host
   * sends with on some capture point of the connection, or no TTL seen.
   */
  sentAsClient: boolean;
  sentAsServer: boolean;
  /** Position in the list given to matchRelays (set there). */
  pos: number;
}

export interface RelayMatch {
  up: RelayEnd;
  down: RelayEnd;
  /** Microseconds from the upstream leg's SYN-ACK (UDP: first datagram) to the downstream SYN (first datagram). */
  dialDelay: number;
  cost: number;
  /** Other feasible partners each side had (identical payloads within the window). */
  rivals: number;
  /** An end scanning this range reached MAX_CANDIDATES_PER_END: `rivals` is a lower bound. */
  rivalsAtLeast: boolean;
  kind: 'stream' | 'mid-stream' | 'mid-transfer' | 'refused' | 'no-data';
  /**
   * Bytes compared one way when either capture cut that stream short (its first bytes, see
   * sameBytes); -1 when both were whole and their digests were compared. For a 'mid-transfer'
   * pair, the last bytes compared (0: nothing went that way in the capture).
   */
  fwdCompared: number;
  revCompared: number;
  /**
   * 'mid-transfer': how many more bytes of each stream the side nearer its receiver saw, those the
   * proxy held when the capture began (client → server: the proxy's dial; server → client: the
   * client's connection). 0 for other kinds.
   */
  fwdShift: number;
  revShift: number;
  /**
   * 'mid-transfer': content-defined anchors found at the same place in both copies of each
   * stream, when its ends were not compared (the capture stopped before the stream ended on both
   * sides); 0 when its last bytes were, or for other kinds.
   */
  fwdAnchored: number;
  revAnchored: number;
  /** The client → server stream as the relay bucketed it (streamKeyOf). */
  streamKey: string | null;
}

function replyFlow(n: ConnNode): Flow {
  return n.parts.length > 1 ? n.parts[1] : n.parts[0];
}

/**
 * Event times of one connection node, on the reference clock. `copies`: every capture point of
 * the connection (n among them); the proxy's packets carry a sender's TTL on the one nearest it.
 */
export function relayEnd(group: number, n: ConnNode, offsetUs: number, copies: readonly ConnNode[] = [n]): RelayEnd {
  let syn: number | null = null;
  let accept: number | null = null;
  let fwdData: number | null = null;
  let revData: number | null = null;
  let fwdFin: number | null = null;
  let revFin: number | null = null;
  for (const f of n.parts) {
    const s = f.samples;
    for (let i = 0; i < s.count; i++) {
      const t = s.tsUsAt(i) - offsetUs;
      const fl = s.flagsAt(i);
      if (s.dirAt(i) === 0) {
        if (syn === null && (fl & (SYN | ACK)) === SYN) syn = t;
        if (fwdData === null && s.payloadLenAt(i) > 0) fwdData = t;
        if (fwdFin === null && (fl & (FIN | RST)) !== 0) fwdFin = t;
      } else {
        if (accept === null && (fl & (SYN | ACK)) === (SYN | ACK)) accept = t;
        if (revData === null && s.payloadLenAt(i) > 0) revData = t;
        if (revFin === null && (fl & (FIN | RST)) !== 0) revFin = t;
      }
    }
  }
  const a = n.parts[0];
  const r = replyFlow(n);
  const af = a.fwd;
  const rr = r.rev;
  const midStream = n.proto === PROTO_TCP && n.parts.every((f) => f.midStream);
  return {
    group,
    node: n,
    syn: midStream ? (fwdData ?? n.firstUs - offsetUs) : (syn ?? n.firstUs - offsetUs),
    accept: midStream ? null : accept,
    fwdData,
    revData,
    fwdFin,
    revFin,
    fwdDigest: af.digest,
    revDigest: rr.digest,
    fwdBytes: af.streamBytes + af.gapBytes,
    revBytes: rr.streamBytes + rr.gapBytes,
    fwdCut: af.gapBytes > 0,
    revCut: rr.gapBytes > 0,
    fwdHead: knownHead(af),
    revHead: knownHead(rr),
    fwdTail: af.tail,
    revTail: rr.tail,
    fwdAnchors: af.anchors,
    revAnchors: rr.anchors,
    fwdLast: af.lastDataUs === null ? null : af.lastDataUs - offsetUs,
    revLast: rr.lastDataUs === null ? null : rr.lastDataUs - offsetUs,
    rejected: a.state === 'rejected',
    midStream,
    sentAsClient: copies.some((c) => sentHere(c.parts[0].fwd.firstTtl)),
    sentAsServer: copies.some((c) => sentHere(replyFlow(c).rev.firstTtl)),
    pos: -1,
  };
}

/**
 * Whether two ends carried the same bytes one way. Whole streams compare digests. When the
 * capture cut either short, the digests cover different pieces (the proxy segments its side
 * differently, so a snaplen keeps other bytes): see sameCutStream.
 */
export function sameBytes(aCut: boolean, bCut: boolean, aDigest: string | null, bDigest: string | null, aLen: number, bLen: number, aHead: Uint8Array, bHead: Uint8Array): boolean {
  return !aCut && !bCut ? aDigest === bDigest : sameCutStream(aLen, bLen, aHead, bHead);
}

/** A stream the capture cut short: equal lengths from the sequence numbers, and equal first bytes where both kept them. */
export function sameCutStream(aLen: number, bLen: number, aHead: Uint8Array, bHead: Uint8Array): boolean {
  if (aLen !== bLen) return false;
  const n = comparedBytes(aHead, bHead);
  for (let i = 0; i < n; i++) if (aHead[i] !== bHead[i]) return false;
  return true;
}

/** How many leading bytes `sameBytes` compared for two cut streams (both kept them). */
export function comparedBytes(aHead: Uint8Array, bHead: Uint8Array): number {
  return Math.min(aHead.length, bHead.length);
}

/**
 * What the relay buckets a stream by. Digests, unless some stream was cut: then its length, so
 * that a cut stream meets the whole or differently cut copies of the same bytes.
 */
export function streamKeyOf(e: RelayEnd, byLength: boolean, dir: 'fwd' | 'rev'): string | null {
  if (!byLength) return dir === 'fwd' ? e.fwdDigest : e.revDigest;
  return `${dir === 'fwd' ? e.fwdBytes : e.revBytes} B`;
}

/** Whether streams must be bucketed by length (some relay end's stream was cut). */
export function anyCut(ends: readonly RelayEnd[]): boolean {
  // Connections joined mid-way pair on whole streams or on their last bytes, never by length.
  for (const e of ends) if (!e.midStream && (e.fwdCut || e.revCut)) return true;
  return false;
}

function sentHere(ttl: number | null): boolean {
  return ttl === null || initialTtl(ttl);
}

/** Lists at least this long are split by reply digest (see RelayLayout). */
const SPLIT_BY_REPLY = 16;

/**
 * The ends each end may relay into, as ranges of one flat array in dial-time order. Ends are
 * bucketed TCP and UDP apart (never paired with each other, even on equal bytes), by client →
 * server digest (length, when a capture cut streams short) when there was data, else refused /
 * no data. An end that got a reply can only
 * pair with one that got the same reply (see `evaluate`): in a busy bucket (thousands of
 * identical health checks) those meet only their own kind. Each range's dial times and the
 * fields of `evaluate`'s cheap rejections sit beside it, so a scan reads memory in order.
 */
class RelayLayout {
  /** End positions, range after range. */
  readonly order: Int32Array;
  readonly syn: Float64Array;
  /** First reply data (NaN when none) of ends that carried client data; NaN for the others. */
  readonly revData: Float64Array;
  readonly hasFwd: Uint8Array;
  /**
   * Server endpoint and client address of each position as small numbers, and where the run of
   * equal ones it sits in ends: `evaluate` rejects a pair with the same server or the same client
   * address, and a scan skips such a run whole. A burst of identical datagrams from thousands of
   * clients to one server is one run, not thousands of rejected pairs per end.
   */
  readonly server: Int32Array;
  readonly serverRunEnd: Int32Array;
  readonly client: Int32Array;
  readonly clientRunEnd: Int32Array;
  /** The same numbers per end (by `pos`), for the end that scans. */
  readonly serverOfEnd: Int32Array;
  readonly clientOfEnd: Int32Array;
  /** Each end's own range. */
  readonly ownStart: Int32Array;
  readonly ownEnd: Int32Array;
  readonly isRefused: Uint8Array;
  refusedStart = 0;
  refusedEnd = 0;
  /** Streams bucketed by length, not digest (see streamKeyOf). */
  readonly byLength: boolean;
  private at = 0;

  constructor(ends: readonly RelayEnd[]) {
    const n = ends.length;
    this.order = new Int32Array(2 * n);
    this.syn = new Float64Array(2 * n);
    this.revData = new Float64Array(2 * n);
    this.hasFwd = new Uint8Array(2 * n);
    this.server = new Int32Array(2 * n);
    this.serverRunEnd = new Int32Array(2 * n);
    this.client = new Int32Array(2 * n);
    this.clientRunEnd = new Int32Array(2 * n);
    this.serverOfEnd = new Int32Array(n);
    this.clientOfEnd = new Int32Array(n);
    const serverIds = new Map<string, number>();
    const clientIds = new Map<string, number>();
    this.ownStart = new Int32Array(n);
    this.ownEnd = new Int32Array(n);
    this.isRefused = new Uint8Array(n);
    const tcp = new Map<string, RelayEnd[]>();
    const udp = new Map<string, RelayEnd[]>();
    const refused: RelayEnd[] = [];
    const noData: RelayEnd[] = [];
    const udpNoData: RelayEnd[] = [];
    this.byLength = anyCut(ends);
    for (let i = 0; i < n; i++) {
      const e = ends[i];
      e.pos = i;
      this.serverOfEnd[i] = internId(serverIds, `${e.node.server.ip}|${e.node.server.port}`);
      this.clientOfEnd[i] = internId(clientIds, e.node.client.ip);
      const key = e.fwdBytes > 0 ? streamKeyOf(e, this.byLength, 'fwd') : null;
      if (key !== null) {
        const m = e.node.proto === PROTO_UDP ? udp : tcp;
        const b = m.get(key);
        if (b === undefined) m.set(key, [e]);
        else b.push(e);
      } else if (e.node.proto === PROTO_UDP) udpNoData.push(e);
      // Joined mid-way with no client data: never a dial nor a refusal (evaluate rejects each
      // pair); a transfer under way is matched apart, by its streams' ends.
      else if (e.midStream) continue;
      else if (e.rejected) {
        refused.push(e);
        this.isRefused[i] = 1;
      } else noData.push(e);
    }
    for (const b of tcp.values()) this.place(b, true);
    for (const b of udp.values()) this.place(b, true);
    this.place(noData, false);
    this.place(udpNoData, false);
    this.refusedStart = this.at;
    this.place(refused, false);
    this.refusedEnd = this.at;
  }

  private place(list: RelayEnd[], digest: boolean): void {
    if (list.length === 0) return;
    // Stable: equal dial times keep the order the ends were given in.
    if (list.length > 1) list.sort((x, y) => x.syn - y.syn);
    const start = this.write(list);
    const end = this.at;
    for (const e of list) {
      this.ownStart[e.pos] = start;
      this.ownEnd[e.pos] = end;
    }
    if (!digest || list.length < SPLIT_BY_REPLY) return;
    // Filtering the sorted list keeps each sub-list in dial-time order.
    const byReply = new Map<string | null, RelayEnd[]>();
    for (const e of list) {
      if (e.revBytes === 0) continue;
      const key = streamKeyOf(e, this.byLength, 'rev');
      const r = byReply.get(key);
      if (r === undefined) byReply.set(key, [e]);
      else r.push(e);
    }
    for (const r of byReply.values()) {
      const s = this.write(r);
      for (const e of r) {
        this.ownStart[e.pos] = s;
        this.ownEnd[e.pos] = this.at;
      }
    }
  }

  private write(list: readonly RelayEnd[]): number {
    const start = this.at;
    const end = start + list.length;
    this.at = end;
    this.fill(list, start);
    this.markRuns(start, end);
    return start;
  }

  // Each loop is a function of its own that returns as it ends. When a long first list (thousands
  // of identical health checks) gets a loop optimized on stack (OSR), the code after that loop has
  // not run yet and has no type feedback: V8 keeps that OSR code and re-enters it on every later
  // long list, deoptimizing at the loop's end each time (hundreds of times on 20,000 conversations).
  private fill(list: readonly RelayEnd[], start: number): void {
    const { order, syn, hasFwd, revData, server, client, serverOfEnd, clientOfEnd } = this;
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      const k = start + i;
      order[k] = e.pos;
      syn[k] = e.syn;
      hasFwd[k] = e.fwdBytes > 0 ? 1 : 0;
      revData[k] = e.fwdBytes > 0 ? (e.revData ?? NaN) : NaN;
      server[k] = serverOfEnd[e.pos];
      client[k] = clientOfEnd[e.pos];
    }
  }

  /** Where each position's run of equal servers / clients ends, back to front. */
  private markRuns(start: number, end: number): void {
    const { server, client, serverRunEnd, clientRunEnd } = this;
    for (let k = end - 1; k >= start; k--) {
      serverRunEnd[k] = k + 1 < end && server[k + 1] === server[k] ? serverRunEnd[k + 1] : k + 1;
      clientRunEnd[k] = k + 1 < end && client[k + 1] === client[k] ? clientRunEnd[k + 1] : k + 1;
    }
  }

  /** First index in [lo, hi) whose dial time is at least t. */
  lowerBound(lo: number, hi: number, t: number): number {
    const syn = this.syn;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (syn[m] < t) lo = m + 1;
      else hi = m;
    }
    return lo;
  }
}

function internId(ids: Map<string, number>, key: string): number {
  let id = ids.get(key);
  if (id === undefined) {
    id = ids.size;
    ids.set(key, id);
  }
  return id;
}

/**
 * Candidates kept per upstream end, the earliest dials first. Real relays dial within
 * milliseconds; only a flood of identical payloads between many clients and many servers has
 * more, and there the nearest dials are the ones the assignment would pick anyway: without a
 * bound, such a flood makes candidates in the square of its size.
 */
const MAX_CANDIDATES_PER_END = 64;

/** Feasibility and cost of `up` relayed into `down`; null when impossible. */
function evaluate(up: RelayEnd, down: RelayEnd): { cost: number; kind: RelayMatch['kind'] } | null {
  // Every test below only rejects: the cheap numeric ones go first (most pairs in a busy bucket
  // fail on time), the string compares after.
  if (up.group === down.group) return null;
  if (up.node.proto !== down.node.proto) return null;
  if (up.midStream !== down.midStream) return null;
  if (up.midStream) {
    // Both connections were open before the capture: no opening, no first bytes. What ties them
    // is whole, identical streams both ways after it, the request relayed within moments.
    if (up.fwdBytes === 0 || down.fwdBytes === 0 || up.revBytes === 0 || down.revBytes === 0) return null;
    if (up.fwdCut || down.fwdCut || up.revCut || down.revCut) return null;
    if (down.syn - up.syn > NO_DATA_WINDOW_US) return null;
  }
  // A proxy accepts the client's connection before it dials: one refused by the host (nothing
  // listening, as for an IPv6 client of a host whose docker-proxy is off) reached no proxy.
  if (up.rejected) return null;
  // Without payload on both sides nothing ties two UDP flows together (no handshake to time).
  if (up.node.proto === PROTO_UDP && (up.fwdBytes === 0 || down.fwdBytes === 0)) return null;
  if (down.syn <= up.syn) return null;
  const acceptedAt = up.accept ?? up.syn;
  const dial = down.syn - acceptedAt;
  if (dial < -TOLERANCE_US || dial > DIAL_WINDOW_US) return null;
  // The proxy can only send the reply to the client after the server sent it (checked again
  // below for the cost; here only as an early exit when both legs carried a reply).
  if (up.fwdBytes > 0 && down.fwdBytes > 0 && up.revData !== null && down.revData !== null && up.revData < down.revData - TOLERANCE_US) return null;
  // The proxy dials somewhere else than the endpoint it accepted on (or it would call itself).
  if (sameEndpoint(up.node.server, down.node.server)) return null;
  // The proxy dials from its own address, never from the client's (a host process reaching a
  // published port from the very address the proxy would use goes through DNAT in OUTPUT).
  if (up.node.client.ip === down.node.client.ip) return null;
  // The proxy is a process on this host: its dial and its answers to the client leave with the
  // TTL a host sends with. Lower ones were routed here from elsewhere: two unrelated connections.
  if (!down.sentAsClient || !up.sentAsServer) return null;
  let kind: RelayMatch['kind'];
  let cost = Math.max(0, dial);
  if (up.fwdBytes > 0 && down.fwdBytes > 0) {
    if (!sameBytes(up.fwdCut, down.fwdCut, up.fwdDigest, down.fwdDigest, up.fwdBytes, down.fwdBytes, up.fwdHead, down.fwdHead)) return null;
    if (up.revBytes > 0 && down.revBytes > 0 && !sameBytes(up.revCut, down.revCut, up.revDigest, down.revDigest, up.revBytes, down.revBytes, up.revHead, down.revHead)) return null;
    if (up.revBytes > 0 && down.revBytes === 0) return null;
    if (up.fwdData !== null && down.fwdData !== null) {
      if (down.fwdData < up.fwdData - TOLERANCE_US) return null;
      cost += Math.max(0, down.fwdData - up.fwdData);
    }
    if (up.revData !== null && down.revData !== null) {
      // The proxy can only send the reply to the client after the server sent it.
      if (up.revData < down.revData - TOLERANCE_US) return null;
      cost += Math.max(0, up.revData - down.revData);
    }
    kind = up.midStream ? 'mid-stream' : 'stream';
  } else if (down.rejected && down.fwdBytes === 0 && up.revBytes === 0) {
    // Proxy accepted, its upstream connection was refused: the client got nothing back.
    if (dial > NO_DATA_WINDOW_US) return null;
    kind = 'refused';
  } else if (up.fwdBytes === 0 && down.fwdBytes === 0 && up.revBytes === 0 && down.revBytes === 0) {
    if (dial > NO_DATA_WINDOW_US) return null;
    kind = 'no-data';
    cost += NO_DATA_WINDOW_US;
  } else {
    return null;
  }
  return { cost, kind };
}

/**
 * Ends alike in their last bytes that a mid-transfer end is compared with: the next ones to end
 * after it. Its partner ends moments after it, and the nearest few are what the assignment weighs.
 */
const MID_CANDIDATES_PER_END = 16;

/** Shortest common end two streams must share to be compared by their last bytes. */
const MIN_TAIL_BYTES = 16;
/**
 * More than any proxy's socket buffers hold: a larger difference is two different streams (and
 * anchors are only set in a stream's first 4 MiB, ../flows/stream-anchors.ts).
 */
const MAX_SHIFT_BYTES = 4 << 20;
/**
 * Longest accepted time from a stream's end on its sender's side to its end on the receiver's:
 * the proxy drains what it held at the receiver's pace, which a slow reader makes seconds.
 */
const END_WINDOW_US = 10_000_000;

/** What comparing two streams each way found, as a RelayMatch carries it. */
export type MidTransferFields = Pick<RelayMatch, 'fwdCompared' | 'revCompared' | 'fwdShift' | 'revShift' | 'fwdAnchored' | 'revAnchored'>;

interface MidTransferFit extends MidTransferFields {
  cost: number;
  /** The larger stream's relay delay: from its sender's side to its receiver's. */
  delay: number;
}

/** One stream's fit: bytes of its end compared, or anchors matched (`anchored` > 0). */
interface StreamFit {
  compared: number;
  anchored: number;
  shift: number;
  delay: number;
}

const NO_STREAM: StreamFit = { compared: 0, anchored: 0, shift: 0, delay: 0 };
/** Anchors two copies must share at one offset (at about one per 2 KiB: some 6 KiB in common). */
const MIN_ANCHORS = 3;
/** Share of one copy's anchors, in the span both saw, that the other must have at that offset. */
const MIN_ANCHOR_COVERAGE = 0.6;
/** Bytes at a copy's edges where it cannot have an anchor the other has (the hash's window). */
const ANCHOR_EDGE = 32;

/**
 * Whether `up` (the client's connection, accepted by the proxy) and `down` (the proxy's own) are
 * one relayed conversation whose transfer was under way when the capture began: neither opening
 * is in it, and each stream starts at a different byte on the two sides, because the proxy held
 * bytes it had read from one side and not yet written to the other. The side nearer a stream's
 * receiver then saw more of it, and both saw it end with the same bytes, the receiver's side
 * moments later. evaluate handles the same case when nothing was in flight (whole, identical
 * streams); this one when the streams are offset, and a stream that did not reach its end in
 * the capture on both sides (still under way when it stopped) is not compared.
 */
function evaluateMidTransfer(up: RelayEnd, down: RelayEnd): MidTransferFit | null {
  if (up.group === down.group || !up.midStream || !down.midStream) return null;
  if (up.node.proto !== PROTO_TCP || down.node.proto !== PROTO_TCP || up.rejected || down.rejected) return null;
  if (sameEndpoint(up.node.server, down.node.server) || up.node.client.ip === down.node.client.ip) return null;
  if (!down.sentAsClient || !up.sentAsServer) return null;
  // Client → server: the proxy's dial is nearer the receiver. Server → client: the client's.
  const fwd = streamFit(up.fwdBytes, up.fwdTail, up.fwdLast, up.fwdAnchors, down.fwdBytes, down.fwdTail, down.fwdLast, down.fwdAnchors);
  if (fwd === null) return null;
  const rev = streamFit(down.revBytes, down.revTail, down.revLast, down.revAnchors, up.revBytes, up.revTail, up.revLast, up.revAnchors);
  if (rev === null || (fwd === NO_STREAM && rev === NO_STREAM)) return null;
  // A few last bytes alike, or short streams alike in full at no offset (a small response, the
  // same to every client), tie nothing by themselves: with the requests before the capture, such
  // a reply matches any other connection's. The whole-stream case with its request (evaluate's
  // 'mid-stream') has the request's timing besides.
  if (alikeAnywhere(fwd, up.fwdBytes) && alikeAnywhere(rev, down.revBytes)) return null;
  return {
    cost: fwd.delay + rev.delay,
    fwdCompared: fwd.compared,
    revCompared: rev.compared,
    fwdShift: fwd.shift,
    revShift: rev.shift,
    fwdAnchored: fwd.anchored,
    revAnchored: rev.anchored,
    delay: up.revBytes >= up.fwdBytes ? rev.delay : fwd.delay,
  };
}

/** Fewer common last bytes than this say little: the end of one small response is every copy's. */
const MIN_DISTINCT_BYTES = 256;

/** A stream fit that would hold for any connection carrying the same few bytes. */
function alikeAnywhere(f: StreamFit, senderBytes: number): boolean {
  if (f === NO_STREAM) return true;
  if (f.anchored > 0) return false;
  return f.compared < MIN_DISTINCT_BYTES || (f.shift === 0 && f.compared >= senderBytes);
}

/**
 * One stream seen nearer its sender (s…) and nearer its receiver (r…): their common end when both
 * saw it end alike, else the anchors both copies share at one offset (the capture stopped before
 * the stream ended on both sides); null when neither ties them. NO_STREAM when neither side
 * carried any of it.
 */
function streamFit(
  sBytes: number, sTail: Uint8Array, sLast: number | null, sAnchors: StreamAnchors | null,
  rBytes: number, rTail: Uint8Array, rLast: number | null, rAnchors: StreamAnchors | null,
): StreamFit | null {
  if (sBytes === 0 && rBytes === 0) return NO_STREAM;
  if (sBytes === 0 || rBytes === 0) return null;
  const t = tailFit(sBytes, sTail, sLast, rBytes, rTail, rLast);
  if (t !== null) return { compared: t.compared, anchored: 0, shift: t.shift, delay: t.delay };
  return sAnchors !== null && rAnchors !== null ? anchorFit(sAnchors, rAnchors, rBytes) : null;
}

/**
 * The offset at which the receiver's copy holds the sender's copy's anchors: the most common
 * difference of their positions, held by at least MIN_ANCHORS anchors and by most of those the
 * sender's copy has in the span both copies cover (an unrelated stream shares a few by chance, a
 * repetitive one at several offsets: then no single offset wins and nothing is claimed).
 */
function anchorFit(s: StreamAnchors, r: StreamAnchors, rBytes: number): StreamFit | null {
  const level = Math.max(s.level, r.level);
  const byValue = new Map<number, number[]>();
  for (let i = 0; i < r.count; i++) {
    const v = r.values[i];
    if (!atLevel(v, level)) continue;
    const l = byValue.get(v);
    if (l === undefined) byValue.set(v, [i]);
    else l.push(i);
  }
  const votes = new Map<number, number>();
  for (let i = 0; i < s.count; i++) {
    const l = byValue.get(s.values[i]);
    if (l === undefined || !atLevel(s.values[i], level)) continue;
    for (const j of l) {
      const d = r.offsets[j] - s.offsets[i];
      votes.set(d, (votes.get(d) ?? 0) + 1);
    }
  }
  let shift = 0;
  let best = 0;
  let tie = false;
  for (const [d, n] of votes) {
    if (n > best) {
      best = n;
      shift = d;
      tie = false;
    } else if (n === best) tie = true;
  }
  if (best < MIN_ANCHORS || tie || Math.abs(shift) > MAX_SHIFT_BYTES) return null;
  // The sender's anchors where the receiver's copy covers the stream too, and their delays.
  let inSpan = 0;
  const delays: number[] = [];
  for (let i = 0; i < s.count; i++) {
    const v = s.values[i];
    if (!atLevel(v, level)) continue;
    const at = s.offsets[i] + shift;
    // Not within a hash window of either end of what the receiver's copy hashed.
    if (at < 2 * ANCHOR_EDGE || at > Math.min(rBytes, ANCHOR_SPAN) - ANCHOR_EDGE) continue;
    inSpan++;
    const l = byValue.get(v);
    if (l === undefined) continue;
    for (const j of l) if (r.offsets[j] === at) delays.push(r.times[j] - s.times[i]);
  }
  if (delays.length < MIN_ANCHORS || delays.length < MIN_ANCHOR_COVERAGE * inSpan) return null;
  delays.sort((a, b) => a - b);
  const delay = delays[delays.length >> 1];
  if (delay < -TOLERANCE_US || delay > END_WINDOW_US) return null;
  return { compared: 0, anchored: delays.length, shift, delay: Math.max(0, delay) };
}

/**
 * One stream seen nearer its sender (s…) and nearer its receiver (r…): null when they cannot be
 * the same stream relayed; compared 0 when neither side carried any of it.
 */
function tailFit(sBytes: number, sTail: Uint8Array, sLast: number | null, rBytes: number, rTail: Uint8Array, rLast: number | null): { compared: number; shift: number; delay: number } | null {
  if (sBytes === 0 && rBytes === 0) return { compared: 0, shift: 0, delay: 0 };
  if (sBytes === 0 || rBytes === 0 || sLast === null || rLast === null) return null;
  const shift = rBytes - sBytes;
  if (shift < 0 || shift > MAX_SHIFT_BYTES) return null;
  // Both tails must hold the sender's side's stream end (its whole stream, when shorter).
  const n = Math.min(sTail.length, rTail.length);
  if (n < Math.min(MIN_TAIL_BYTES, sBytes)) return null;
  // Native compare: thousands of ends alike (one file fetched by many clients) compare often.
  if (n > 0 && Buffer.compare(sTail.subarray(sTail.length - n), rTail.subarray(rTail.length - n)) !== 0) return null;
  const delay = rLast - sLast;
  if (delay < -TOLERANCE_US || delay > END_WINDOW_US) return null;
  return { compared: n, shift, delay: Math.max(0, delay) };
}

/** What a mid-transfer end is bucketed by: each way, nothing / its last bytes. */
function tailKey(e: RelayEnd): string | null {
  const f = dirTailKey(e.fwdBytes, e.fwdTail);
  const r = dirTailKey(e.revBytes, e.revTail);
  return f === null || r === null || (f === '' && r === '') ? null : `${f}|${r}`;
}

function dirTailKey(bytes: number, tail: Uint8Array): string | null {
  if (bytes === 0) return '';
  if (tail.length < MIN_TAIL_BYTES) return null;
  let k = '';
  for (let i = tail.length - MIN_TAIL_BYTES; i < tail.length; i++) k += String.fromCharCode(tail[i]);
  return k;
}

/** The later of an end's last bytes each way: when its transfer ended. */
function endOf(e: RelayEnd): number {
  return Math.max(e.fwdLast ?? -Infinity, e.revLast ?? -Infinity);
}

/** Anchor buckets larger than this are a stream repeated many times: they tie nothing. */
const MAX_ANCHOR_BUCKET = 64;

/**
 * Ordered pairs [up, down] of mid-way-joined ends to evaluate as a transfer: ends alike in their
 * last bytes each way (in the order their transfers ended, each with the next to end within
 * END_WINDOW_US), and ends sharing an anchor of one stream. Each pair comes both ways round.
 */
function midTransferPairs(ends: readonly RelayEnd[]): [number, number][] {
  const n = ends.length;
  const seen = new Set<number>();
  const out: [number, number][] = [];
  const pair = (a: number, b: number): void => {
    const key = Math.min(a, b) * n + Math.max(a, b);
    if (seen.has(key)) return;
    seen.add(key);
    out.push([a, b], [b, a]);
  };
  const byTail = new Map<string, number[]>();
  const byAnchor = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const e = ends[i];
    if (!e.midStream) continue;
    const key = tailKey(e);
    if (key !== null) {
      const b = byTail.get(key);
      if (b === undefined) byTail.set(key, [i]);
      else b.push(i);
    }
    addAnchors(byAnchor, e.fwdAnchors, 0, i);
    addAnchors(byAnchor, e.revAnchors, 1, i);
  }
  for (const b of byTail.values()) {
    if (b.length < 2) continue;
    b.sort((x, y) => endOf(ends[x]) - endOf(ends[y]));
    for (let i = 0; i < b.length; i++) {
      const ei = endOf(ends[b[i]]);
      // Thousands of connections ending alike within the window (one file fetched by many
      // clients, all caught mid-way) would otherwise be compared each with each.
      const last = Math.min(b.length, i + 1 + MID_CANDIDATES_PER_END);
      for (let j = i + 1; j < last; j++) {
        if (endOf(ends[b[j]]) - ei > END_WINDOW_US) break;
        pair(b[i], b[j]);
      }
    }
  }
  for (const b of byAnchor.values()) {
    if (b.length < 2 || b.length > MAX_ANCHOR_BUCKET) continue;
    // addAnchors files an end once per hash: every two in a bucket are two ends.
    for (let i = 0; i < b.length; i++) for (let j = i + 1; j < b.length; j++) pair(b[i], b[j]);
  }
  return out;
}

/** Files each anchor of one direction (0: client → server) under its hash, once per end. */
function addAnchors(byAnchor: Map<number, number[]>, a: StreamAnchors | null, dir: number, end: number): void {
  if (a === null) return;
  for (let i = 0; i < a.count; i++) {
    // Both directions in one map: the direction is the key's bit above the 32-bit hash.
    const key = a.values[i] + dir * 4294967296;
    const b = byAnchor.get(key);
    if (b === undefined) byAnchor.set(key, [end]);
    else if (b[b.length - 1] !== end) b.push(end);
  }
}

/**
 * The relay's delay: its dial's (from the accept, or from the first request of a connection
 * opened before the capture), or, for a transfer the capture joined mid-way, the stream end's:
 * from the last byte on the sender's side to the last on the receiver's, of the larger stream.
 */
export function relayDelay(kind: RelayMatch['kind'], up: RelayEnd, down: RelayEnd): number {
  if (kind !== 'mid-transfer') return down.syn - (up.accept ?? up.syn);
  const revLarger = up.revBytes >= up.fwdBytes;
  const s = revLarger ? down.revLast : up.fwdLast;
  const r = revLarger ? up.revLast : down.fwdLast;
  return s === null || r === null ? 0 : r - s;
}

/**
 * Pairs upstream and downstream relay ends one-to-one, lowest cost first (a global greedy
 * assignment: it settles identical-payload conversations by dial delay and data ordering).
 */
export function matchRelays(ends: readonly RelayEnd[]): RelayMatch[] {
  // Ends are referred to by position below (arrays, not maps keyed by group).
  const n = ends.length;
  const lay = new RelayLayout(ends);
  const { order, syn: synAt, revData: revAt, hasFwd, server: serverAt, serverRunEnd, client: clientAt, clientRunEnd } = lay;
  interface Cand { up: RelayEnd; down: RelayEnd; u: number; d: number; cost: number; kind: RelayMatch['kind']; mid: MidTransferFit | null }
  const cands: Cand[] = [];
  const rivalsUp = new Int32Array(n);
  const rivalsDown = new Int32Array(n);
  // Ranges (by start position) in which some end stopped at MAX_CANDIDATES_PER_END.
  const capped = new Uint8Array(2 * n + 1);
  for (let u = 0; u < n; u++) {
    const up = ends[u];
    const acceptedAt = up.accept ?? up.syn;
    const lo = acceptedAt - TOLERANCE_US;
    const hi = acceptedAt + DIAL_WINDOW_US;
    const upSyn = up.syn;
    const upRev = up.fwdBytes > 0 ? (up.revData ?? NaN) : NaN;
    const upServer = lay.serverOfEnd[u];
    const upClient = lay.clientOfEnd[u];
    let found = 0;
    for (let pass = 0; pass < 2 && found < MAX_CANDIDATES_PER_END; pass++) {
      let from: number;
      let to: number;
      if (pass === 0) {
        from = lay.ownStart[u];
        to = lay.ownEnd[u];
        // Its own range alone holds no partner.
        if (to - from < 2) continue;
      } else if (up.revBytes === 0 && lay.isRefused[u] === 0 && !up.midStream && up.node.proto === PROTO_TCP && lay.refusedEnd > lay.refusedStart) {
        from = lay.refusedStart;
        to = lay.refusedEnd;
      } else continue;
      for (let i = lay.lowerBound(from, to, lo); i < to; i++) {
        const syn = synAt[i];
        if (syn > hi) break;
        // evaluate rejects these too (the proxy neither dials where it accepted nor from the client's address).
        if (serverAt[i] === upServer) {
          i = serverRunEnd[i] - 1;
          continue;
        }
        if (clientAt[i] === upClient) {
          i = clientRunEnd[i] - 1;
          continue;
        }
        const d = order[i];
        // evaluate's first rejections (NaN compares false): itself, a dial before the client's
        // SYN or before the accept, a reply relayed before the server sent it.
        if (d === u || syn <= upSyn || syn - acceptedAt < -TOLERANCE_US) continue;
        if (hasFwd[i] === 1 && upRev < revAt[i] - TOLERANCE_US) continue;
        const down = ends[d];
        const ev = evaluate(up, down);
        if (ev === null) continue;
        cands.push({ up, down, u, d, cost: ev.cost, kind: ev.kind, mid: null });
        rivalsUp[u]++;
        rivalsDown[d]++;
        if (++found === MAX_CANDIDATES_PER_END) {
          capped[from] = 1;
          break;
        }
      }
    }
  }
  // Transfers under way when the capture began: ends that carried the same last bytes each way,
  // or that share a content-defined anchor of a stream, may be one relayed transfer.
  for (const [u, d] of midTransferPairs(ends)) {
    const up = ends[u];
    const down = ends[d];
    const fit = evaluateMidTransfer(up, down);
    // Streams that were whole and identical each way: evaluate's 'mid-stream', already a candidate.
    if (fit === null || (fit.fwdShift === 0 && fit.revShift === 0 && fit.fwdAnchored === 0 && fit.revAnchored === 0 && evaluate(up, down) !== null)) continue;
    cands.push({ up, down, u, d, cost: fit.cost, kind: 'mid-transfer', mid: fit });
    rivalsUp[u]++;
    rivalsDown[d]++;
  }
  // Candidates fall into small clusters (ends that compete for each other); each cluster is
  // settled by a minimum-total-delay assignment, large ones greedily by lowest delay.
  const uf = new UnionFind(ends.length);
  for (const c of cands) uf.union(c.u, c.d);
  const clusters = new Map<number, Cand[]>();
  for (const c of cands) {
    const k = uf.find(c.u);
    const l = clusters.get(k);
    if (l) l.push(c);
    else clusters.set(k, [c]);
  }
  const out: RelayMatch[] = [];
  const used = new Uint8Array(ends.length);
  const accept = (c: Cand): void => {
    used[c.u] = 1;
    used[c.d] = 1;
    const rivals = Math.max(rivalsUp[c.u] || 1, rivalsDown[c.d] || 1) - 1;
    const rivalsAtLeast = capped[lay.ownStart[c.u]] === 1 || capped[lay.ownStart[c.d]] === 1 || (lay.isRefused[c.d] === 1 && capped[lay.refusedStart] === 1);
    const { up, down } = c;
    const mid = c.mid;
    const fwdCompared = mid !== null ? mid.fwdCompared : c.kind === 'stream' && (up.fwdCut || down.fwdCut) ? comparedBytes(up.fwdHead, down.fwdHead) : -1;
    const revCompared = mid !== null ? mid.revCompared : c.kind === 'stream' && up.revBytes > 0 && down.revBytes > 0 && (up.revCut || down.revCut) ? comparedBytes(up.revHead, down.revHead) : -1;
    const streamKey = mid === null && up.fwdBytes > 0 ? streamKeyOf(up, lay.byLength, 'fwd') : null;
    out.push({
      up, down, dialDelay: mid !== null ? mid.delay : relayDelay(c.kind, up, down), cost: c.cost, rivals, rivalsAtLeast, kind: c.kind, fwdCompared, revCompared, streamKey,
      fwdShift: mid?.fwdShift ?? 0, revShift: mid?.revShift ?? 0, fwdAnchored: mid?.fwdAnchored ?? 0, revAnchored: mid?.revAnchored ?? 0,
    });
  };
  for (const cl of clusters.values()) {
    if (cl.length === 1) {
      accept(cl[0]);
      continue;
    }
    const ups = [...new Set(cl.map((c) => c.u))];
    const downs = [...new Set(cl.map((c) => c.d))];
    // One relay per connection: a group may not be both an upstream and a downstream here,
    // which the bipartite assignment cannot express; those clusters go greedy.
    const downSet = new Set(downs);
    const both = ups.some((g) => downSet.has(g));
    if (cl.length === 1 || both || ups.length > 40 || downs.length > 40) {
      cl.sort((x, y) => x.cost - y.cost || x.up.syn - y.up.syn);
      // Chains built from unrelated identical-payload conversations (A's upstream leg
      // "relaying" into B's client leg) are refused: one relay per connection.
      for (const c of cl) if (used[c.u] === 0 && used[c.d] === 0) accept(c);
      continue;
    }
    const ui = new Map(ups.map((g, i) => [g, i]));
    const di = new Map(downs.map((g, i) => [g, i]));
    const cost = ups.map(() => new Array<number>(downs.length).fill(Infinity));
    const pick = ups.map(() => new Array<Cand | null>(downs.length).fill(null));
    for (const c of cl) {
      const i = ui.get(c.u)!;
      const j = di.get(c.d)!;
      if (c.cost < cost[i][j]) {
        cost[i][j] = c.cost;
        pick[i][j] = c;
      }
    }
    const asg = minCostAssignment(cost, downs.length);
    asg.forEach((j, i) => {
      if (j >= 0 && pick[i][j]) accept(pick[i][j]!);
    });
  }
  return out;
}

export function isRelayCandidate(n: ConnNode): boolean {
  // A proxy listens on, and dials, unicast addresses (mDNS sent over IPv4 and IPv6 at once is not
  // a relay, however alike its two datagrams are).
  if (notOnePeer(n)) return false;
  if (n.proto === PROTO_UDP) return n.parts[0].fwd.streamBytes > 0;
  // A connection already open when the capture began shows neither its opening nor its first
  // bytes: its first packet in the capture is no dial, and two such tails closing at once are
  // no relay. Only whole streams both ways after the capture began can tie two of them (a
  // keep-alive connection's later requests): compared in evaluate.
  if (n.parts.every((f) => f.midStream)) {
    const r = replyFlow(n);
    if (n.proto !== PROTO_TCP) return false;
    if (n.parts[0].fwd.streamBytes > 0 && r.rev.streamBytes > 0 && n.parts[0].fwd.gapBytes === 0 && r.rev.gapBytes === 0) return true;
    // A transfer under way when the capture began: its last bytes or its anchors can tie it
    // (evaluateMidTransfer).
    const f = n.parts[0].fwd;
    return f.tail.length >= MIN_TAIL_BYTES || r.rev.tail.length >= MIN_TAIL_BYTES || f.anchors !== null || r.rev.anchors !== null;
  }
  return n.proto === PROTO_TCP && (n.fwdIsn !== null || n.parts[0].fwd.packets > 0);
}
