/**
 * The flow table: decoded packets in, finalized Flow records out. Keyed by interface + protocol +
 * both endpoints, so one connection seen on docker0 and on vethX is two flows (copies of a packet
 * on several interfaces are never retransmissions). Live state is bounded: closed TCP flows are
 * finalized after a short linger, idle datagram flows after the idle timeout, and a finalized flow
 * keeps only its compact record (prefix, digest, trimmed samples).
 */
import type { Packet } from '../decode/packet.js';
import { formatIp, formatMac } from '../decode/address.js';
import { communityId, hasPorts, icmpPortEquivalents, packetPorts } from './community-id.js';
import { DEFAULT_REASSEMBLY_LIMITS, StreamReassembler, type ReassemblyLimits } from './tcp-reassembly.js';
import { KeyTable, MAX_KEY_WORDS, hashWords, type KeyEntry } from './flow-key.js';
import { BytePool, PAGE_MASK, PAGE_SHIFT, PackedSamples, SAMPLE_CHUNK, SAMPLE_ROW, SamplePool, Slab, packSamples } from './flow-storage.js';
import { mergeDns, parseDns } from './app-peek.js';
import { COPY_WINDOW_US, FrameMemory, MAX_SIGHTINGS } from './frame-memory.js';
import { FlowRecord, KIND_ADDRESSES, KIND_PORTS } from './flow-record.js';
import type {
  AppPeek,
  ArpEvent,
  DirectionStats,
  Endpoint,
  Flow,
  FlowSamples,
  FlowSide,
  FlowState,
  FlowTableOptions,
  IcmpInfo,
  StreamGap,
  TcpSynOptions,
} from './flow.js';

const FIN = 1;
const SYN = 2;
const RST = 4;
const ACK = 16;

const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMP6 = 58;
const PROTO_SCTP = 132;

const ICMP4_ERRORS = new Set([3, 4, 5, 11, 12]);
const ICMP6_ERRORS = new Set([1, 2, 3, 4]);
const ICMP4_ECHO = new Set([0, 8]);
const ICMP6_ECHO = new Set([128, 129]);

const RECENT_KEYS = 4096;
/** Slots of a recent-keys table: room for RECENT_KEYS entries without growing. */
const RECENT_CAPACITY = 4 * RECENT_KEYS;

/** Placeholder until finalization packs the flow's samples (flows are handed out only then). */
const NO_SAMPLES: FlowSamples = new PackedSamples(0, 0, new ArrayBuffer(0), 0);
/**
 * Payload bytes hashed per sampled packet. With seq, ack, IP ID, TSval and the length it must
 * match on, a bounded prefix tells packets apart as well as the whole payload, at a fixed cost.
 */
const SAMPLE_HASH_BYTES = 128;
const SWEEP_EVERY_PACKETS = 1024;
const IDLE_SWEEP_EVERY_PACKETS = 65536;
const MAX_CLOSING = 100_000;
const MAX_FREE_STREAMS = 4096;

interface IfaceClock {
  nowUs: number;
  /** Small number standing for the interface key in flow keys. */
  id: number;
}


/** Gap list of every direction without gaps (frozen: it is shared). */
const NO_GAPS: StreamGap[] = Object.freeze([]) as unknown as StreamGap[];

// Shared by every direction that carried no payload (a zero-length array cannot be written to).
const EMPTY_BYTES = new Uint8Array(0);

function emptyStats(): DirectionStats {
  return {
    packets: 0,
    copies: 0,
    bytes: 0,
    ipBytes: 0,
    payloadBytes: 0,
    retransmissions: 0,
    outOfOrder: 0,
    zeroWindow: 0,
    isn: null,
    synOptions: null,
    firstTsVal: null,
    lastTsVal: null,
    firstTtl: null,
    firstMacSrc: null,
    firstMacDst: null,
    gaps: 0,
    gapBytes: 0,
    gapList: NO_GAPS,
    prefix: EMPTY_BYTES,
    digest: null,
    tail: EMPTY_BYTES,
    anchors: null,
    streamBytes: 0,
    firstDataUs: null,
    lastDataUs: null,
  };
}

let sampleView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

/**
 * A sampled packet's payload hash: the first SAMPLE_HASH_BYTES, a word at a time (FNV-style, each
 * step a bijection, so payloads differing in one word never collide), then avalanched. Never 0,
 * which stands for "no payload".
 */
function sampleHash(d: Uint8Array, off: number, len: number): number {
  const n = Math.min(len, SAMPLE_HASH_BYTES);
  let dv = sampleView;
  if (dv.buffer !== d.buffer) dv = sampleView = new DataView(d.buffer);
  const base = d.byteOffset + off;
  let h = 0x811c9dc5 ^ n;
  let i = 0;
  for (; i + 4 <= n; i += 4) h = Math.imul(h ^ dv.getInt32(base + i, true), 0x01000193);
  for (; i < n; i++) h = Math.imul(h ^ d[off + i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  return h === 0 ? 1 : h;
}

/**
 * The sample's payload hash, 0 when there is none to compare: no payload, or a payload the capture
 * cut (snaplen) before SAMPLE_HASH_BYTES. Two copies of one packet cut at other lengths (an
 * Ethernet and an `-i any` capture keep 6 bytes apart) would hash different bytes: their payload
 * is unknown, not different, and the other fields decide.
 */
function packetHash(pkt: Packet, wire: number): number {
  const cap = pkt.payloadLen;
  if (cap <= 0 || pkt.payloadOffset < 0) return 0;
  if (cap < wire && cap < SAMPLE_HASH_BYTES) return 0;
  return sampleHash(pkt.data, pkt.payloadOffset, cap);
}

class LiveFlow implements KeyEntry {
  readonly flow: FlowRecord;
  readonly keyWords: number[];
  readonly keyHash: number;
  /** Creation order (the number in flow.id). */
  readonly seq: number;
  readonly clock: IfaceClock;
  /** Whether the flow's src endpoint sorts first in the key (tells a packet's direction). */
  readonly srcIsLow: boolean;
  // Samples while live: a chain of SamplePool chunks; packed into the flow at finalization.
  sampleHead = -1;
  sampleTail = -1;
  sampleCount = 0;
  sampleDropped = 0;
  fwdStream: StreamReassembler | null = null;
  revStream: StreamReassembler | null = null;
  synSeen = false;
  synUs = -1;
  synAckSeen = false;
  established = false;
  finFwdSeq = -1;
  finRevSeq = -1;
  rstSeen = false;
  dataSeen = false;
  closedAtUs = -1;
  finalized = false;
  // Linux cooked packet types seen, a bit per type, per direction (fwd: src → dst).
  sllMaskFwd = 0;
  sllMaskRev = 0;
  // LINUX_SLL v1 only (allocated on the first such packet): recent packet signatures per direction,
  // COPY_SLOTS rows of COPY_FIELDS each, fwd rows first; copyPos* is the next row to overwrite.
  copySigs: Float64Array | null = null;
  copyPosFwd = 0;
  copyPosRev = 0;
  // Any other link type: this flow's rows in the table's FrameMemory (./frame-memory.ts).
  frameSlot = -1;
  // SYNs / FINs sent again (same sequence number), per direction.
  synRetransFwd = 0;
  synRetransRev = 0;
  // Last TCP timestamp per direction, kept as doubles (-0.5 = none) and copied to the stats at
  // finalization: a stats field that starts null would box a large value afresh on every packet.
  lastTsValFwd = -0.5;
  lastTsValRev = -0.5;
  app: AppPeek | null = null;
  // Live flows form a list in creation order (sweeps and finish() walk it instead of sorting).
  prevLive: LiveFlow | null = null;
  nextLive: LiveFlow | null = null;

  constructor(flow: FlowRecord, seq: number, keyWords: number[], keyHash: number, clock: IfaceClock, srcIsLow: boolean) {
    this.flow = flow;
    this.seq = seq;
    this.keyWords = keyWords;
    this.keyHash = keyHash;
    this.clock = clock;
    this.srcIsLow = srcIsLow;
  }
}

/** Fragmented datagrams whose later fragments are still expected, at most (oldest forgotten first). */
const MAX_FRAGMENTED_DATAGRAMS = 4096;
const FRAGMENT_TIMEOUT_US = 30_000_000;

export class FlowTable {
  private live = new KeyTable<LiveFlow>();
  private liveHead: LiveFlow | null = null;
  private liveTail: LiveFlow | null = null;
  private readonly clocks = new Map<string, IfaceClock>();
  private readonly closing: LiveFlow[] = [];
  private closingHead = 0;
  // Keys of recently finalized flows → id, in two generations (no per-key eviction cost).
  // Finalized flows' live entries double as the recent keys (no object per finalized flow).
  private recent = new KeyTable<LiveFlow>(RECENT_CAPACITY);
  private recentOld = new KeyTable<LiveFlow>(RECENT_CAPACITY);
  // Scratch for building keys: the packet's (kw) and an ICMP error's quoted tuple (kw2).
  private readonly kw = new Int32Array(MAX_KEY_WORDS);
  private readonly kw2 = new Int32Array(MAX_KEY_WORDS);
  private readonly epA = new Int32Array(5);
  private readonly epB = new Int32Array(5);
  /** Set by buildKey: the packet's source endpoint sorts first. */
  private keyFromLow = false;
  private readonly done: Flow[] = [];
  private readonly arp = new Map<string, ArpEvent[]>();
  private readonly limits: ReassemblyLimits;
  private samplePool = new SamplePool();
  private frames = new FrameMemory();
  /** Reassemblers of finalized flows, for reuse. */
  private readonly freeStreams: StreamReassembler[] = [];
  private bytePool = new BytePool();
  private readonly slab = new Slab();
  private readonly strings = new StringCache();
  private readonly prefixBytes: number;
  private readonly samplePackets: number;
  private readonly udpTimeoutUs: number;
  private readonly closeLingerUs: number;
  private readonly maxArp: number;
  private readonly seed: number;
  private readonly retain: boolean;
  private readonly onFlowClosed: ((flow: Flow) => void) | undefined;
  private nextId = 1;
  private packetCount = 0;
  private lastClockKey = '';
  private lastClock: IfaceClock = { nowUs: 0, id: -1 };

  /** Packets that could not be attributed to a flow (non-IP other than ARP, non-first fragments). */
  unattributedPackets = 0;
  /** ARP events dropped per interface key because the per-interface limit was reached. */
  readonly arpDropped = new Map<string, number>();

  constructor(opts: FlowTableOptions = {}) {
    this.prefixBytes = opts.prefixBytes ?? 65536;
    this.samplePackets = opts.samplePackets ?? 256;
    this.udpTimeoutUs = opts.udpTimeoutUs ?? 60_000_000;
    this.closeLingerUs = opts.closeLingerUs ?? 2_000_000;
    this.maxArp = opts.maxArpEventsPerInterface ?? 1000;
    this.seed = opts.communityIdSeed ?? 0;
    this.retain = opts.retainFlows ?? true;
    this.onFlowClosed = opts.onFlowClosed;
    this.limits = {
      prefixBytes: this.prefixBytes,
      maxPendingSegments: opts.maxOutOfOrderSegments ?? 64,
      maxPendingBytes: 1 << 20,
      maxGapList: 32,
      tailBytes: DEFAULT_REASSEMBLY_LIMITS.tailBytes,
    };
  }

  /** Number of flows currently held live (not yet finalized). */
  get liveCount(): number {
    return this.live.size;
  }

  /** Finalized flows retained so far (empty with retainFlows: false). */
  get finalizedCount(): number {
    return this.done.length;
  }

  /** ARP packets seen, per interface key (bounded per interface). */
  get arpEvents(): ReadonlyMap<string, readonly ArpEvent[]> {
    return this.arp;
  }

  add(pkt: Packet, tsUs: number, ifaceName: string, ifaceKey: string, file: string): void {
    const clock = this.clockFor(ifaceKey);
    if (tsUs > clock.nowUs) clock.nowUs = tsUs;
    this.packetCount++;
    if (this.packetCount % SWEEP_EVERY_PACKETS === 0) this.sweepClosing(false);
    if (this.packetCount % IDLE_SWEEP_EVERY_PACKETS === 0) this.sweepIdle();

    if (pkt.ipVersion === 0) {
      if (pkt.arpOp >= 0 && pkt.arpSenderIpOff >= 0) this.addArp(pkt, tsUs, ifaceName, ifaceKey);
      else this.unattributedPackets++;
      return;
    }
    const proto = pkt.ipProto;
    if (pkt.srcOff < 0 || pkt.dstOff < 0 || proto < 0) {
      this.unattributedPackets++;
      return;
    }
    // Non-first fragments carry no transport header: they are counted in the flow their first
    // fragment went to, found by addresses, protocol and IP ID (as the receiver reassembles them).
    if (pkt.ipFragment && pkt.ipFragOffset > 0 && hasPorts(proto)) {
      if (!this.addLaterFragment(pkt, tsUs, clock.id)) this.unattributedPackets++;
      return;
    }
    const isIcmp = proto === PROTO_ICMP || proto === PROTO_ICMP6;
    let sport = pkt.sport;
    let dport = pkt.dport;
    if (proto === PROTO_SCTP && sport < 0) [sport, dport] = packetPorts(pkt);
    const kw = this.kw;
    const kn = this.packetKey(kw, pkt, clock.id, proto, sport, dport, isIcmp);
    const fromLow = this.keyFromLow;
    const hash = hashWords(kw, kn);
    let lf = this.live.get(kw, kn, hash);
    const flags = proto === PROTO_TCP ? pkt.tcpFlags : 0;

    if (lf !== undefined && proto === PROTO_TCP && (flags & (SYN | ACK)) === SYN) {
      // A new SYN on a closed tuple, or with a different ISN: port reuse, a new connection.
      const dir = fromLow === lf.srcIsLow ? 0 : 1;
      const isn = dir === 0 ? lf.flow.fwd.isn : lf.flow.rev.isn;
      if (lf.closedAtUs >= 0 || (isn !== null && isn !== pkt.seq) || (dir === 1 && lf.synSeen)) {
        this.finalize(lf, false);
        lf = undefined;
      }
    }
    if (lf === undefined) {
      lf = this.createFlow(pkt, tsUs, ifaceName, ifaceKey, file, proto, sport, dport, copyWords(kw, kn), hash, fromLow, clock, isIcmp);
      this.live.set(lf);
      this.linkLive(lf);
    }
    const dir = fromLow === lf.srcIsLow ? 0 : 1;
    this.update(lf, pkt, tsUs, dir, proto, flags);
    if (pkt.ipFragment && pkt.ipMoreFragments) this.rememberFirstFragment(pkt, clock.id, lf, dir, tsUs);
  }

  /** Datagrams whose first fragment was seen, by fragmentKey: where their later fragments go. */
  private readonly fragmented = new Map<string, { lf: LiveFlow; dir: number; tsUs: number }>();

  private fragmentKey(pkt: Packet, ifaceId: number): string {
    const v = pkt.ipVersion === 6 ? 6 : 4;
    return `${ifaceId}|${pkt.ipProto}|${pkt.ipId}|${formatIp(pkt.data, pkt.srcOff, v)}|${formatIp(pkt.data, pkt.dstOff, v)}`;
  }

  private rememberFirstFragment(pkt: Packet, ifaceId: number, lf: LiveFlow, dir: number, tsUs: number): void {
    // Bounded, oldest forgotten first: kept past the last fragment, since a datagram sent twice
    // (the same IP ID) repeats it.
    if (this.fragmented.size >= MAX_FRAGMENTED_DATAGRAMS) {
      const oldest = this.fragmented.keys().next();
      if (!oldest.done) this.fragmented.delete(oldest.value);
    }
    const key = this.fragmentKey(pkt, ifaceId);
    this.fragmented.delete(key);
    this.fragmented.set(key, { lf, dir, tsUs });
  }

  /** Counts a later fragment in its datagram's flow; false when its first fragment was not seen. */
  private addLaterFragment(pkt: Packet, tsUs: number, ifaceId: number): boolean {
    if (this.fragmented.size === 0) return false;
    const key = this.fragmentKey(pkt, ifaceId);
    const at = this.fragmented.get(key);
    if (at === undefined) return false;
    // Linux gives a datagram 30 s to arrive whole (ipfrag_time); an IP ID seen again after that
    // is another datagram, whose first fragment the capture missed.
    if (at.lf.finalized || tsUs - at.tsUs > FRAGMENT_TIMEOUT_US) {
      this.fragmented.delete(key);
      return false;
    }
    const flow = at.lf.flow;
    const st = at.dir === 0 ? flow.fwd : flow.rev;
    if (tsUs > flow.lastUs) flow.lastUs = tsUs;
    // Packets and bytes only: the datagram's payload length is counted whole with its first
    // fragment, from the UDP / TCP header.
    st.packets++;
    st.bytes += pkt.len;
    st.ipBytes += pkt.ipTotalLen >= 0 ? pkt.ipTotalLen : pkt.l3Offset >= 0 ? pkt.end - pkt.l3Offset : 0;
    return true;
  }

  /** Finalizes every live flow and returns all retained flows sorted by first packet time. */
  finish(): Flow[] {
    for (let lf = this.liveHead; lf !== null; ) {
      const next = lf.nextLive;
      this.finalize(lf, false);
      lf = next;
    }
    this.closing.length = 0;
    this.closingHead = 0;
    // Nothing is live any more: drop the pools' pages and the table's slots now, rather than when
    // the table itself is collected (a caller's closure or a saved stack can keep it reachable).
    this.samplePool = new SamplePool();
    this.frames = new FrameMemory();
    this.bytePool = new BytePool();
    this.freeStreams.length = 0;
    this.live = new KeyTable<LiveFlow>();
    const out = this.done.slice();
    out.sort((a, b) => a.firstUs - b.firstUs || idNumber(a.id) - idNumber(b.id));
    return out;
  }

  private clockFor(ifaceKey: string): IfaceClock {
    if (ifaceKey === this.lastClockKey) return this.lastClock;
    let c = this.clocks.get(ifaceKey);
    if (c === undefined) {
      c = { nowUs: -Infinity, id: this.clocks.size };
      this.clocks.set(ifaceKey, c);
    }
    this.lastClockKey = ifaceKey;
    this.lastClock = c;
    return c;
  }

  private linkLive(lf: LiveFlow): void {
    lf.prevLive = this.liveTail;
    if (this.liveTail !== null) this.liveTail.nextLive = lf;
    else this.liveHead = lf;
    this.liveTail = lf;
  }

  private unlinkLive(lf: LiveFlow): void {
    const { prevLive, nextLive } = lf;
    if (prevLive !== null) prevLive.nextLive = nextLive;
    else this.liveHead = nextLive;
    if (nextLive !== null) nextLive.prevLive = prevLive;
    else this.liveTail = prevLive;
    lf.prevLive = lf.nextLive = null;
  }

  /**
   * Writes the packet's flow key into w and returns its length; keyFromLow tells whether the
   * packet's source is the endpoint written first. Endpoints are ordered by their bytes (address,
   * then port), ICMP flows add what tells their messages apart (echo id, quoted tuple, type/code).
   */
  private packetKey(w: Int32Array, pkt: Packet, ifaceId: number, proto: number, sport: number, dport: number, isIcmp: boolean): number {
    const d = pkt.data;
    const v = pkt.ipVersion;
    if (isIcmp) {
      const type = pkt.icmpType;
      const echo = proto === PROTO_ICMP ? ICMP4_ECHO.has(type) : ICMP6_ECHO.has(type);
      const kind = echo && pkt.icmpId >= 0 ? KIND_ICMP_ECHO : isIcmpError(proto, type) ? KIND_ICMP_ERROR : KIND_ICMP_OTHER;
      if (kind === KIND_ICMP_OTHER) {
        // The Community ID's "ports": a request and its reply (neighbor solicitation from A, the
        // advertisement from B) are one flow, A's and B's solicitations two, and a one-way message
        // keeps its direction. So every packet of a flow has the flow's Community ID.
        const ports = icmpPortEquivalents(proto, type, pkt.icmpCode);
        const n = this.pairKey(w, ifaceId, proto, kind, v, d, pkt.srcOff, pkt.dstOff, ports.sport, ports.dport);
        w[n] = pkt.icmpCode & 0xffff;
        return n + 1;
      }
      let n = this.pairKey(w, ifaceId, proto, kind, v, d, pkt.srcOff, pkt.dstOff, -1, -1);
      if (kind === KIND_ICMP_ECHO) w[n++] = pkt.icmpId;
      else {
        if (kind === KIND_ICMP_ERROR) {
          n = putAddr(w, n, d, pkt.srcOff, v);
          n = putAddr(w, n, d, pkt.dstOff, v);
          // The quoted tuple: errors about different flows (a scan of closed ports from one host)
          // are different flows, each linked to the flow it quotes.
          const iv = pkt.innerIpVersion;
          if (iv !== 0 && pkt.innerSrcOff >= 0 && pkt.innerDstOff >= 0) {
            n = putAddr(w, n, d, pkt.innerSrcOff, iv);
            n = putAddr(w, n, d, pkt.innerDstOff, iv);
          }
          w[n++] = (iv << 8) | (pkt.innerProto & 0xff);
          w[n++] = ((pkt.innerSport & 0xffff) << 16) | (pkt.innerDport & 0xffff);
        }
        w[n++] = ((type & 0xffff) << 16) | (pkt.icmpCode & 0xffff);
      }
      return n;
    }
    if (sport >= 0 && dport >= 0) return this.pairKey(w, ifaceId, proto, KIND_PORTS, v, d, pkt.srcOff, pkt.dstOff, sport, dport);
    return this.pairKey(w, ifaceId, proto, KIND_ADDRESSES, v, d, pkt.srcOff, pkt.dstOff, -1, -1);
  }

  /** Header words and both endpoints (ports when >= 0), lower first; sets keyFromLow. */
  private pairKey(
    w: Int32Array,
    ifaceId: number,
    proto: number,
    kind: number,
    v: number,
    d: Uint8Array,
    srcOff: number,
    dstOff: number,
    sport: number,
    dport: number,
  ): number {
    const a = this.epA;
    const b = this.epB;
    let la = putAddr(a, 0, d, srcOff, v);
    putAddr(b, 0, d, dstOff, v);
    if (sport >= 0) {
      a[la] = sport;
      b[la] = dport;
      la++;
    }
    let c = 0;
    for (let i = 0; i < la && c === 0; i++) if (a[i] !== b[i]) c = a[i] >>> 0 < b[i] >>> 0 ? -1 : 1;
    const fromLow = c <= 0;
    this.keyFromLow = fromLow;
    const lo = fromLow ? a : b;
    const hi = fromLow ? b : a;
    w[0] = ifaceId;
    w[1] = proto | (kind << 8) | (v << 12);
    for (let i = 0; i < la; i++) {
      w[2 + i] = lo[i];
      w[2 + la + i] = hi[i];
    }
    return 2 + 2 * la;
  }

  private createFlow(
    pkt: Packet,
    tsUs: number,
    ifaceName: string,
    ifaceKey: string,
    file: string,
    proto: number,
    sport: number,
    dport: number,
    keyWords: number[],
    keyHash: number,
    fromLow: boolean,
    clock: IfaceClock,
    isIcmp: boolean,
  ): LiveFlow {
    const d = pkt.data;
    const v = pkt.ipVersion as 4 | 6;
    // A SYN-ACK as first packet: its receiver is the initiator. So is a RST-ACK's: it answers
    // what the other end sent (a SYN to a closed port, whose copy on this tuple was not seen:
    // NATed replies of a refused connection travel under another tuple, facts §3).
    const flags = proto === PROTO_TCP ? pkt.tcpFlags : 0;
    const answer = proto === PROTO_TCP && ((flags & (SYN | ACK)) === (SYN | ACK) || (flags & (SYN | RST | ACK)) === (RST | ACK));
    // A connection already open when the capture began (no SYN) shows no initiator: its first
    // packet is as often the server's data (a download in progress) as the client's. Then the
    // ports decide, as Zeek's and Wireshark's conversation tables do: the end on an ephemeral
    // port, or above 1023 facing a port below, is the client.
    const reversed = answer || (proto === PROTO_TCP && (flags & SYN) === 0 && serverPortFirst(sport, dport));
    let cidSport = sport;
    let cidDport = dport;
    let srcPort = sport;
    let dstPort = dport;
    let icmp: IcmpInfo | null = null;
    let quoted: Flow | null = null;
    if (isIcmp) {
      cidSport = pkt.icmpType;
      cidDport = pkt.icmpCode;
      srcPort = pkt.icmpType;
      dstPort = pkt.icmpCode;
      icmp = {
        type: pkt.icmpType,
        code: pkt.icmpCode,
        echoId: pkt.icmpId >= 0 ? pkt.icmpId : null,
        linkedFlowId: null,
        inner: null,
      };
      if (isIcmpError(proto, pkt.icmpType) && pkt.innerIpVersion !== 0) quoted = this.linkIcmpError(pkt, icmp, clock.id);
    }
    const a: Endpoint = { ip: this.strings.ip(d, pkt.srcOff, v), port: srcPort < 0 ? -1 : srcPort };
    const b: Endpoint = { ip: this.strings.ip(d, pkt.dstOff, v), port: dstPort < 0 ? -1 : dstPort };
    const seq = this.nextId++;
    const flow = new FlowRecord({
      id: `f${seq}`,
      iface: ifaceName,
      ifaceKey,
      file,
      proto,
      ipVersion: v,
      src: reversed ? b : a,
      dst: reversed ? a : b,
      firstUs: tsUs,
      state: proto === PROTO_TCP ? 'syn-sent' : 'active',
      midStream: proto === PROTO_TCP && (flags & SYN) === 0,
      halfFlow: answer,
      fwd: emptyStats(),
      rev: emptyStats(),
      icmp,
      samples: NO_SAMPLES,
    });
    // ICMP keys hold echo ids / quoted tuples, not the Community ID's inputs: compute it now.
    if (isIcmp) {
      flow.communityId = communityId({
        seed: this.seed,
        proto,
        src: d,
        srcOff: pkt.srcOff,
        dst: d,
        dstOff: pkt.dstOff,
        addrLen: v === 6 ? 16 : 4,
        sport: cidSport,
        dport: cidDport,
      });
    } else flow.communityIdFrom(this.seed, keyWords);
    const srcIsLow = reversed ? !fromLow : fromLow;
    const lf = new LiveFlow(flow, seq, keyWords, keyHash, clock, srcIsLow);
    lf.frameSlot = this.frames.alloc();
    if (quoted !== null) {
      // Copy on first write: flows without ICMP errors share one frozen empty list.
      if (Object.isFrozen(quoted.icmpErrorFlowIds)) quoted.icmpErrorFlowIds = [flow.id];
      else quoted.icmpErrorFlowIds.push(flow.id);
    }
    return lf;
  }

  /**
   * Sets icmp.inner and icmp.linkedFlowId, and returns the flow the error quotes (live, or recently
   * finalized), found by its key: a search by id through the live flows made a UDP scan answered
   * by port-unreachables quadratic in the number of flows.
   */
  private linkIcmpError(pkt: Packet, icmp: IcmpInfo, ifaceId: number): Flow | null {
    const d = pkt.data;
    const v = pkt.innerIpVersion;
    const proto = pkt.innerProto;
    if (pkt.innerSrcOff < 0 || pkt.innerDstOff < 0 || proto < 0) return null;
    const sport = pkt.innerSport;
    const dport = pkt.innerDport;
    icmp.inner = {
      proto,
      src: { ip: formatIp(d, pkt.innerSrcOff, v), port: sport },
      dst: { ip: formatIp(d, pkt.innerDstOff, v), port: dport },
    };
    if (proto === PROTO_ICMP || proto === PROTO_ICMP6) return null;
    const w = this.kw2;
    const saved = this.keyFromLow;
    const n =
      sport >= 0 && dport >= 0
        ? this.pairKey(w, ifaceId, proto, KIND_PORTS, v, d, pkt.innerSrcOff, pkt.innerDstOff, sport, dport)
        : this.pairKey(w, ifaceId, proto, KIND_ADDRESSES, v, d, pkt.innerSrcOff, pkt.innerDstOff, -1, -1);
    this.keyFromLow = saved;
    const h = hashWords(w, n);
    const quoted = this.live.get(w, n, h)?.flow ?? this.recent.get(w, n, h)?.flow ?? this.recentOld.get(w, n, h)?.flow ?? null;
    icmp.linkedFlowId = quoted === null ? null : quoted.id;
    return quoted;
  }

  private update(lf: LiveFlow, pkt: Packet, tsUs: number, dir: number, proto: number, flags: number): void {
    const flow = lf.flow;
    const st = dir === 0 ? flow.fwd : flow.rev;
    const d = pkt.data;
    if (tsUs > flow.lastUs) flow.lastUs = tsUs;
    if (tsUs < flow.firstUs) flow.firstUs = tsUs;
    if (pkt.linktype === LINKTYPE_LINUX_SLL) {
      if (isSllCopy(lf, pkt, tsUs, dir, flags)) {
        st.copies++;
        addSllType(lf, dir, pkt.sllPktType);
        return;
      }
    } else if (this.isFrameAgain(lf, pkt, tsUs, dir, flags)) {
      st.copies++;
      return;
    }
    if (st.packets === 0) {
      st.firstTtl = pkt.ttl >= 0 ? pkt.ttl : null;
      if (pkt.ethSrcOff >= 0) st.firstMacSrc = this.strings.mac(d, pkt.ethSrcOff);
      // A Linux cooked header (-i any) keeps the sender's link-layer address: the frame's
      // Ethernet source, as an Ethernet capture of the same interface shows it.
      else if (pkt.sllAddrOff >= 0 && pkt.sllAddrLen === 6) st.firstMacSrc = this.strings.mac(d, pkt.sllAddrOff);
      if (pkt.ethDstOff >= 0) st.firstMacDst = this.strings.mac(d, pkt.ethDstOff);
    }
    st.packets++;
    st.bytes += pkt.len;
    st.ipBytes += pkt.ipTotalLen >= 0 ? pkt.ipTotalLen : pkt.l3Offset >= 0 ? pkt.end - pkt.l3Offset : 0;
    const wire = pkt.payloadWireLen >= 0 ? pkt.payloadWireLen : pkt.payloadLen;
    st.payloadBytes += wire;
    addSllType(lf, dir, pkt.sllPktType);
    this.sample(lf, pkt, tsUs, dir, flags, wire);

    if (proto === PROTO_TCP && flags >= 0) this.updateTcp(lf, pkt, tsUs, dir, flags, st, wire);
    else if (pkt.payloadLen > 0 && pkt.payloadOffset >= 0) {
      let s = dir === 0 ? lf.fwdStream : lf.revStream;
      if (s === null) {
        s = this.freeStreams.pop() ?? new StreamReassembler(this.limits, this.bytePool);
        if (dir === 0) lf.fwdStream = s;
        else lf.revStream = s;
      }
      s.datagram(d, pkt.payloadOffset, pkt.payloadLen, wire, tsUs);
      if (proto === PROTO_UDP && (pkt.sport === 53 || pkt.dport === 53)) {
        const dns = lf.app?.dns ?? null;
        if (dns === null || dns.rcode === null) {
          const msg = parseDns(d, pkt.payloadOffset, pkt.payloadLen, pkt.payloadLen < wire);
          if (msg) {
            if (lf.app === null) lf.app = { http: null, dns: null, tls: null };
            lf.app.dns = mergeDns(dns, msg);
          }
        }
      }
    }
  }

  private updateTcp(lf: LiveFlow, pkt: Packet, tsUs: number, dir: number, flags: number, st: DirectionStats, wire: number): void {
    const flow = lf.flow;
    const side: FlowSide = dir === 0 ? 'src' : 'dst';
    if (pkt.tsVal >= 0) {
      if (st.firstTsVal === null) st.firstTsVal = pkt.tsVal;
      if (dir === 0) lf.lastTsValFwd = pkt.tsVal;
      else lf.lastTsValRev = pkt.tsVal;
    }
    if (pkt.window === 0 && (flags & (SYN | FIN | RST)) === 0) st.zeroWindow++;
    if (flags & SYN) {
      if (st.isn !== null && st.isn === pkt.seq) {
        if (dir === 0) lf.synRetransFwd++;
        else lf.synRetransRev++;
      } else if (st.isn === null) {
        st.isn = pkt.seq;
        st.synOptions = synOptions(pkt);
        const stream = this.stream(lf, dir);
        stream.setIsn(pkt.seq);
      }
      if (flags & ACK) {
        if (!lf.synAckSeen) {
          lf.synAckSeen = true;
          if (lf.synUs >= 0) flow.handshakeRttUs = tsUs - lf.synUs;
        }
      } else if (!lf.synSeen) {
        lf.synSeen = true;
        lf.synUs = tsUs;
      }
    } else if (flags & ACK) {
      // The initiator's first ACK after the SYN-ACK, or any ACK when we only saw half of the handshake.
      if (lf.synAckSeen || lf.synSeen || flow.midStream) lf.established = true;
    }
    if (wire > 0 && (flags & SYN) === 0) {
      lf.dataSeen = true;
      const stream = this.stream(lf, dir);
      const capLen = pkt.payloadOffset >= 0 ? pkt.payloadLen : 0;
      stream.segment(pkt.seq, pkt.data, pkt.payloadOffset < 0 ? 0 : pkt.payloadOffset, capLen, wire, tsUs);
    }
    if (flags & FIN) {
      const finSeq = (pkt.seq + wire) >>> 0;
      const prev = dir === 0 ? lf.finFwdSeq : lf.finRevSeq;
      if (prev === finSeq && wire === 0) {
        if (dir === 0) lf.synRetransFwd++;
        else lf.synRetransRev++;
      }
      if (prev < 0) {
        if (dir === 0) lf.finFwdSeq = finSeq;
        else lf.finRevSeq = finSeq;
        if (flow.closedBy === null) flow.closedBy = side;
      }
      if (lf.finFwdSeq >= 0 && lf.finRevSeq >= 0) this.markClosed(lf, tsUs);
    }
    if (flags & RST) {
      if (!lf.rstSeen) {
        lf.rstSeen = true;
        flow.resetBy = side;
      }
      this.markClosed(lf, tsUs);
    }
  }

  /** The same IP packet forwarded past this capture point again in another frame (FrameMemory.isAgain). */
  private isFrameAgain(lf: LiveFlow, pkt: Packet, tsUs: number, dir: number, flags: number): boolean {
    const wire = pkt.payloadWireLen >= 0 ? pkt.payloadWireLen : pkt.payloadLen;
    // IP ID 0 (a SYN-ACK, DF datagrams of unconnected sockets) identifies nothing on its own; for
    // TCP the seq still does (a SYN-ACK is sent again after a second, not within 2 ms).
    const id = pkt.ipId > 0 || (pkt.ipId === 0 && pkt.ipProto === PROTO_TCP) ? pkt.ipId : -1;
    return this.frames.isAgain(lf.frameSlot, dir, id, pkt.seq, flags < 0 ? 0 : flags, wire, pkt.ttl, tsUs, macSignature(pkt));
  }

  private stream(lf: LiveFlow, dir: number): StreamReassembler {
    let s = dir === 0 ? lf.fwdStream : lf.revStream;
    if (s === null) {
      s = this.freeStreams.pop() ?? new StreamReassembler(this.limits, this.bytePool);
      if (dir === 0) lf.fwdStream = s;
      else lf.revStream = s;
    }
    return s;
  }

  private sample(lf: LiveFlow, pkt: Packet, tsUs: number, dir: number, flags: number, wire: number): void {
    if (lf.sampleCount >= this.samplePackets) {
      lf.sampleDropped++;
      return;
    }
    const s = this.samplePool;
    const slot = lf.sampleCount % SAMPLE_CHUNK;
    if (slot === 0) {
      const c = s.alloc();
      if (lf.sampleTail >= 0) s.next[lf.sampleTail] = c;
      else lf.sampleHead = c;
      lf.sampleTail = c;
    }
    lf.sampleCount++;
    const c = lf.sampleTail;
    const page = c >> PAGE_SHIFT;
    const r = ((c & PAGE_MASK) * SAMPLE_CHUNK + slot) * SAMPLE_ROW;
    const r8 = r >> 3;
    const r4 = r >> 2;
    const r2 = r >> 1;
    const f64 = s.f64[page];
    f64[r8] = tsUs;
    f64[r8 + 1] = pkt.seq;
    f64[r8 + 2] = pkt.ack;
    f64[r8 + 3] = pkt.tsVal;
    f64[r8 + 4] = pkt.tsEcr;
    const i32 = s.i32[page];
    i32[r4 + 10] = pkt.ipId;
    i32[r4 + 11] = wire;
    s.u32[page][r4 + 12] = packetHash(pkt, wire);
    s.u16[page][r2 + 26] = flags < 0 ? 0 : flags;
    s.i16[page][r2 + 27] = pkt.ttl;
    s.u8[page][r + 56] = dir;
  }

  private recycle(s: StreamReassembler | null): void {
    if (s === null || this.freeStreams.length >= MAX_FREE_STREAMS) return;
    s.reset();
    this.freeStreams.push(s);
  }

  private markClosed(lf: LiveFlow, tsUs: number): void {
    if (lf.closedAtUs >= 0) return;
    lf.closedAtUs = tsUs;
    this.closing.push(lf);
  }

  /** Finalizes closed flows whose linger has passed on their interface's clock. */
  private sweepClosing(all: boolean): void {
    while (this.closingHead < this.closing.length) {
      const lf = this.closing[this.closingHead];
      if (!lf.finalized) {
        const due = lf.clock.nowUs - lf.closedAtUs >= this.closeLingerUs;
        if (!all && !due && this.closing.length - this.closingHead <= MAX_CLOSING) break;
        this.finalize(lf, false);
      }
      this.closingHead++;
    }
    if (this.closingHead > 1024 && this.closingHead * 2 > this.closing.length) {
      this.closing.splice(0, this.closingHead);
      this.closingHead = 0;
    }
  }

  private sweepIdle(): void {
    for (let lf = this.liveHead; lf !== null; ) {
      const next = lf.nextLive;
      if (lf.flow.proto !== PROTO_TCP && lf.clock.nowUs - lf.flow.lastUs > this.udpTimeoutUs) this.finalize(lf, true);
      lf = next;
    }
  }

  private finalize(lf: LiveFlow, timedOut: boolean): void {
    if (lf.finalized) return;
    lf.finalized = true;
    const flow = lf.flow;
    this.live.delete(lf);
    this.frames.release(lf.frameSlot);
    lf.frameSlot = -1;
    this.unlinkLive(lf);
    this.recent.set(lf);
    if (this.recent.size >= RECENT_KEYS) {
      // Recycle the older generation's table: a fresh one grew (and reallocated) 8 times over.
      const old = this.recentOld;
      this.recentOld = this.recent;
      old.clear();
      this.recent = old;
    }

    finishStream(lf.fwdStream, flow.fwd, flow.lastUs, this.slab, lf.finFwdSeq);
    finishStream(lf.revStream, flow.rev, flow.lastUs, this.slab, lf.finRevSeq);
    this.recycle(lf.fwdStream);
    this.recycle(lf.revStream);
    lf.fwdStream = null;
    lf.revStream = null;
    if (lf.lastTsValFwd >= 0) flow.fwd.lastTsVal = lf.lastTsValFwd;
    if (lf.lastTsValRev >= 0) flow.rev.lastTsVal = lf.lastTsValRev;
    flow.fwd.retransmissions += lf.synRetransFwd;
    flow.rev.retransmissions += lf.synRetransRev;

    if (flow.proto === PROTO_TCP) {
      flow.state = tcpState(lf);
      // Only one direction seen, and it went past the handshake: the other direction travels
      // under another tuple on this interface (NAT'd replies, facts §3).
      // A flow opened by a SYN-ACK (the capture caught it before the SYN) that then saw the SYN
      // and both directions is a whole connection, reordered, not a half.
      flow.halfFlow = (flow.rev.packets === 0 && (lf.established || lf.dataSeen)) || flow.fwd.packets === 0;
      // HTTP / TLS are read from the prefixes when a presenter first asks (flow-record.ts).
      flow.peekAppLater();
    } else {
      flow.state = timedOut ? 'timeout' : 'active';
      flow.app = lf.app;
    }
    if ((lf.sllMaskFwd | lf.sllMaskRev) !== 0) {
      flow.sllPktTypes = maskTypes(lf.sllMaskFwd | lf.sllMaskRev);
      flow.sllPktTypesByDir = { fwd: maskTypes(lf.sllMaskFwd), rev: maskTypes(lf.sllMaskRev) };
    }
    flow.samples = packSamples(this.samplePool, lf.sampleHead, lf.sampleCount, lf.sampleDropped, this.slab);
    this.samplePool.freeList(lf.sampleHead);
    lf.sampleHead = lf.sampleTail = -1;

    if (this.retain) this.done.push(flow);
    this.onFlowClosed?.(flow);
  }

  private addArp(pkt: Packet, tsUs: number, ifaceName: string, ifaceKey: string): void {
    let list = this.arp.get(ifaceKey);
    if (list === undefined) {
      list = [];
      this.arp.set(ifaceKey, list);
    }
    if (list.length >= this.maxArp) {
      this.arpDropped.set(ifaceKey, (this.arpDropped.get(ifaceKey) ?? 0) + 1);
      return;
    }
    const d = pkt.data;
    const ok = (off: number, n: number) => off >= 0 && off + n <= pkt.end;
    list.push({
      tsUs,
      iface: ifaceName,
      ifaceKey,
      op: pkt.arpOp,
      senderMac: ok(pkt.arpSenderMacOff, 6) ? formatMac(d, pkt.arpSenderMacOff) : '',
      senderIp: ok(pkt.arpSenderIpOff, 4) ? formatIp(d, pkt.arpSenderIpOff, 4) : '',
      targetMac: ok(pkt.arpTargetMacOff, 6) ? formatMac(d, pkt.arpTargetMacOff) : '',
      targetIp: ok(pkt.arpTargetIpOff, 4) ? formatIp(d, pkt.arpTargetIpOff, 4) : '',
    });
  }
}

const STRING_CACHE_MAX = 8192;

/**
 * Address strings shared between flows: thousands of flows name the same server address and MACs,
 * and one flat string each beats a formatted copy (a rope of pieces) per flow.
 */
class StringCache {
  private macs = new Map<number, string>();
  private ips = new Map<number, string>();

  mac(d: Uint8Array, off: number): string {
    const hi = (d[off] << 8) | d[off + 1];
    const lo = ((d[off + 2] << 24) | (d[off + 3] << 16) | (d[off + 4] << 8) | d[off + 5]) >>> 0;
    const k = hi * 4294967296 + lo;
    let s = this.macs.get(k);
    if (s === undefined) {
      if (this.macs.size >= STRING_CACHE_MAX) this.macs = new Map();
      s = flat(formatMac(d, off));
      this.macs.set(k, s);
    }
    return s;
  }

  ip(d: Uint8Array, off: number, v: number): string {
    if (v === 6) return flat(formatIp(d, off, 6));
    const k = ((d[off] << 24) | (d[off + 1] << 16) | (d[off + 2] << 8) | d[off + 3]) >>> 0;
    let s = this.ips.get(k);
    if (s === undefined) {
      if (this.ips.size >= STRING_CACHE_MAX) this.ips = new Map();
      s = flat(formatIp(d, off, 4));
      this.ips.set(k, s);
    }
    return s;
  }
}

/** A sequential copy of a (possibly concatenated) string. */
function flat(s: string): string {
  const codes = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) codes[i] = s.charCodeAt(i);
  return String.fromCharCode.apply(null, codes);
}

const KIND_ICMP_ECHO = 2;
const KIND_ICMP_ERROR = 3;
const KIND_ICMP_OTHER = 4;

/** Address bytes (4 or 16) as big-endian words at w[p]; returns the position after them. */
function putAddr(w: Int32Array, p: number, d: Uint8Array, off: number, v: number): number {
  const end = off + (v === 6 ? 16 : 4);
  for (let o = off; o < end; o += 4) w[p++] = (d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3];
  return p;
}

/** A key kept with its flow: a plain array (a typed array would cost an ArrayBuffer per flow). */
function copyWords(w: Int32Array, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = w[i];
  return out;
}

function isIcmpError(proto: number, type: number): boolean {
  return proto === PROTO_ICMP ? ICMP4_ERRORS.has(type) : ICMP6_ERRORS.has(type);
}

function idNumber(id: string): number {
  return Number(id.slice(1));
}

function synOptions(pkt: Packet): TcpSynOptions {
  return {
    mss: pkt.mss >= 0 ? pkt.mss : null,
    wscale: pkt.wscale >= 0 ? pkt.wscale : null,
    sackPermitted: pkt.sackPermitted,
    tsVal: pkt.tsVal >= 0 ? pkt.tsVal : null,
    tsEcr: pkt.tsEcr >= 0 ? pkt.tsEcr : null,
  };
}

const LINKTYPE_LINUX_SLL = 113;
/** Notes a packet's Linux cooked packet type (-1 for other link types) in its direction's mask. */
function addSllType(lf: LiveFlow, dir: number, type: number): void {
  if (type < 0 || type >= 31) return;
  if (dir === 0) lf.sllMaskFwd |= 1 << type;
  else lf.sllMaskRev |= 1 << type;
}

/** The packet types a mask holds, sorted. */
function maskTypes(mask: number): number[] {
  const types: number[] = [];
  for (let t = 0; t < 31; t++) if (mask & (1 << t)) types.push(t);
  return types;
}

/** Signatures remembered per direction: copies of a short burst may interleave. */
const COPY_SLOTS = 4;
// Row layout of LiveFlow.copySigs.
const CS_TS = 0;
const CS_SEQ = 1;
const CS_ACK = 2;
const CS_FLAGS = 3;
const CS_LEN = 4;
const CS_IPID = 5;
const CS_TTL = 6;
const CS_HASH = 7;
const CS_TSVAL = 8;
const CS_WINDOW = 9;
const CS_SEEN = 10;
const COPY_FIELDS = 11;

/**
 * Whether an SLL v1 packet is another capture point's sighting of a packet this flow direction
 * recently saw: every interface is `any` there, so the same segment on the ingress interface, the
 * bridge and the bridge port lands in one flow. A genuine retransmission differs in IP id (Linux
 * draws a new one per transmission), TCP timestamp or arrival time (at least an RTT later); a
 * packet sighted MAX_SIGHTINGS times is not absorbed further. A non-copy is remembered.
 */
function isSllCopy(lf: LiveFlow, pkt: Packet, tsUs: number, dir: number, flags: number): boolean {
  let sigs = lf.copySigs;
  if (sigs === null) sigs = lf.copySigs = new Float64Array(2 * COPY_SLOTS * COPY_FIELDS);
  const wire = pkt.payloadWireLen >= 0 ? pkt.payloadWireLen : pkt.payloadLen;
  // The sample's bounded payload hash: the check stays O(1) per packet.
  const hash = packetHash(pkt, wire);
  const base = dir * COPY_SLOTS * COPY_FIELDS;
  for (let i = 0; i < COPY_SLOTS; i++) {
    const r = base + i * COPY_FIELDS;
    const seen = sigs[r + CS_SEEN];
    if (
      seen > 0 &&
      seen < MAX_SIGHTINGS &&
      tsUs - sigs[r + CS_TS] <= COPY_WINDOW_US &&
      sigs[r + CS_TS] - tsUs <= COPY_WINDOW_US &&
      sigs[r + CS_SEQ] === pkt.seq &&
      sigs[r + CS_ACK] === pkt.ack &&
      sigs[r + CS_FLAGS] === flags &&
      sigs[r + CS_LEN] === wire &&
      sigs[r + CS_IPID] === pkt.ipId &&
      sigs[r + CS_HASH] === hash &&
      sigs[r + CS_TSVAL] === pkt.tsVal &&
      sigs[r + CS_WINDOW] === pkt.window &&
      Math.abs(sigs[r + CS_TTL] - pkt.ttl) <= 1
    ) {
      sigs[r + CS_SEEN] = seen + 1;
      sigs[r + CS_TTL] = pkt.ttl;
      return true;
    }
  }
  const slot = dir === 0 ? lf.copyPosFwd : lf.copyPosRev;
  if (dir === 0) lf.copyPosFwd = (slot + 1) % COPY_SLOTS;
  else lf.copyPosRev = (slot + 1) % COPY_SLOTS;
  const r = base + slot * COPY_FIELDS;
  sigs[r + CS_TS] = tsUs;
  sigs[r + CS_SEQ] = pkt.seq;
  sigs[r + CS_ACK] = pkt.ack;
  sigs[r + CS_FLAGS] = flags;
  sigs[r + CS_LEN] = wire;
  sigs[r + CS_IPID] = pkt.ipId;
  sigs[r + CS_TTL] = pkt.ttl;
  sigs[r + CS_HASH] = hash;
  sigs[r + CS_TSVAL] = pkt.tsVal;
  sigs[r + CS_WINDOW] = pkt.window;
  sigs[r + CS_SEEN] = 1;
  return false;
}

/**
 * What tells two frames of one IP packet apart: the MAC addresses (their last three bytes each),
 * or, in a Linux cooked capture, the sender's address and the packet type (an `-i any` capture
 * shows docker0's hairpin copies as Out, In, Out); -1 when the link layer has neither.
 */
function macSignature(pkt: Packet): number {
  const d = pkt.data;
  const s = pkt.ethSrcOff;
  const t = pkt.ethDstOff;
  if (s >= 0 && t >= 0) return ((d[s + 3] << 16) | (d[s + 4] << 8) | d[s + 5]) * 16777216 + ((d[t + 3] << 16) | (d[t + 4] << 8) | d[t + 5]);
  const a = pkt.sllAddrOff;
  if (a >= 0 && pkt.sllAddrLen >= 6) return ((d[a + 3] << 16) | (d[a + 4] << 8) | d[a + 5]) * 256 + (pkt.sllPktType & 0xff);
  return -1;
}

/** `finSeq`: where the direction's FIN said its stream ends (-1: no FIN seen). */
function finishStream(s: StreamReassembler | null, st: DirectionStats, endUs: number, slab: Slab, finSeq: number): void {
  if (s === null) return;
  s.flush(endUs);
  if (finSeq >= 0) s.endAt(finSeq);
  st.retransmissions += s.retransmissions;
  st.outOfOrder += s.outOfOrder;
  st.gaps = s.gaps;
  st.gapBytes = s.gapBytes;
  st.gapList = s.gapList;
  st.streamBytes = s.streamBytes;
  st.firstDataUs = s.firstDataUs;
  st.lastDataUs = s.lastDataUs;
  st.tail = s.tail();
  st.anchors = s.anchors();
  const prefix = s.release(slab);
  st.prefix = prefix;
  st.digest = s.digestReleased(prefix);
}

function tcpState(lf: LiveFlow): FlowState {
  const flow = lf.flow;
  if (lf.rstSeen) {
    if (lf.synSeen && !lf.synAckSeen && !lf.dataSeen && flow.resetBy === 'dst') return 'rejected';
    return 'reset';
  }
  if (lf.finFwdSeq >= 0 && lf.finRevSeq >= 0) return 'closed-fin';
  if (lf.finFwdSeq >= 0 || lf.finRevSeq >= 0) return 'half-closed';
  if (flow.midStream) return 'mid-stream';
  if (lf.established || lf.dataSeen) return 'open';
  if (lf.synAckSeen) return 'syn-received';
  return 'syn-sent';
}

/** Linux's default ephemeral range starts here (net.ipv4.ip_local_port_range 32768 60999). */
const EPHEMERAL_FROM = 32768;

/** Whether `sport` looks like the server's port and `dport` like the client's. */
export function serverPortFirst(sport: number, dport: number): boolean {
  if (sport < 0 || dport < 0 || sport === dport) return false;
  if (dport >= EPHEMERAL_FROM && sport < EPHEMERAL_FROM) return true;
  return sport < 1024 && dport >= 1024;
}
