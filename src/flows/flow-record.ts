/**
 * A finalized flow as the flow table hands it out. Two fields only presenters read are computed
 * on first read: the Community ID (a SHA-1 per flow) and the HTTP / TLS peek (a parse of both
 * prefixes). The correlator never reads them, so `analyze` on 40,000 flows skips that work unless
 * the output asks for it.
 */
import { peekHttp, peekTlsSni } from './app-peek.js';
import { headCut, knownHead } from './stream-head.js';
import { communityId } from './community-id.js';
import type { AppPeek, DirectionStats, Endpoint, Flow, FlowSamples, FlowSide, FlowState, IcmpInfo, SllPktTypesByDir } from './flow.js';

const PROTO_TCP = 6;
/** Key kinds whose words hold exactly the Community ID's inputs (see flow-table.ts pairKey). */
export const KIND_PORTS = 0;
export const KIND_ADDRESSES = 1;

const scratch = new Uint8Array(32);
// Shared by every flow that has none (frozen: a write would be a bug; lists are replaced instead).
const NO_IDS: string[] = Object.freeze([]) as unknown as string[];
const NO_TYPES: number[] = Object.freeze([]) as unknown as number[];

/**
 * Community ID from a flow key: [iface, proto | kind << 8 | v << 12, low endpoint, high endpoint],
 * each endpoint its address words, then its port for KIND_PORTS. The ID is symmetric, so which
 * endpoint sorts low does not matter.
 */
export function communityIdFromKey(seed: number, w: readonly number[]): string {
  const proto = w[1] & 0xff;
  const kind = (w[1] >> 8) & 0xf;
  const v = (w[1] >> 12) & 0xf;
  const addrWords = v === 6 ? 4 : 1;
  const la = kind === KIND_PORTS ? addrWords + 1 : addrWords;
  for (let i = 0; i < addrWords; i++) {
    const a = w[2 + i];
    const b = w[2 + la + i];
    scratch[4 * i] = a >>> 24;
    scratch[4 * i + 1] = (a >>> 16) & 255;
    scratch[4 * i + 2] = (a >>> 8) & 255;
    scratch[4 * i + 3] = a & 255;
    scratch[16 + 4 * i] = b >>> 24;
    scratch[16 + 4 * i + 1] = (b >>> 16) & 255;
    scratch[16 + 4 * i + 2] = (b >>> 8) & 255;
    scratch[16 + 4 * i + 3] = b & 255;
  }
  return communityId({
    seed,
    proto,
    src: scratch,
    srcOff: 0,
    dst: scratch,
    dstOff: 16,
    addrLen: v === 6 ? 16 : 4,
    sport: kind === KIND_PORTS ? w[2 + addrWords] : -1,
    dport: kind === KIND_PORTS ? w[2 + la + addrWords] : -1,
  });
}

/** What the flow table knows when it creates a flow; the rest starts empty and fills in. */
export type FlowRecordInit = Pick<
  Flow,
  'id' | 'iface' | 'ifaceKey' | 'file' | 'proto' | 'ipVersion' | 'src' | 'dst' | 'firstUs' | 'state' | 'midStream' | 'halfFlow' | 'fwd' | 'rev' | 'icmp' | 'samples'
>;

export class FlowRecord implements Flow {
  id: string;
  iface: string;
  ifaceKey: string;
  file: string;
  proto: number;
  ipVersion: 4 | 6;
  src: Endpoint;
  dst: Endpoint;
  firstUs: number;
  lastUs: number;
  state: FlowState;
  midStream: boolean;
  closedBy: FlowSide | null = null;
  resetBy: FlowSide | null = null;
  halfFlow: boolean;
  fwd: DirectionStats;
  rev: DirectionStats;
  handshakeRttUs: number | null = null;
  icmp: IcmpInfo | null;
  icmpErrorFlowIds: string[] = NO_IDS;
  sllPktTypes: number[] = NO_TYPES;
  sllPktTypesByDir: SllPktTypesByDir | null = null;
  samples: FlowSamples;
  // Community ID: the string once known, else the key and seed it is computed from.
  private cid: string | null = null;
  private cidKey: readonly number[] | null = null;
  private cidSeed = 0;
  private appValue: AppPeek | null = null;
  /** The app peek is still to be read from the TCP prefixes. */
  private appPending = false;

  constructor(init: FlowRecordInit) {
    this.id = init.id;
    this.iface = init.iface;
    this.ifaceKey = init.ifaceKey;
    this.file = init.file;
    this.proto = init.proto;
    this.ipVersion = init.ipVersion;
    this.src = init.src;
    this.dst = init.dst;
    this.firstUs = init.firstUs;
    this.lastUs = init.firstUs;
    this.state = init.state;
    this.midStream = init.midStream;
    this.halfFlow = init.halfFlow;
    this.fwd = init.fwd;
    this.rev = init.rev;
    this.icmp = init.icmp;
    this.samples = init.samples;
  }

  get communityId(): string {
    if (this.cid === null) {
      this.cid = this.cidKey === null ? '' : communityIdFromKey(this.cidSeed, this.cidKey);
      this.cidKey = null;
    }
    return this.cid;
  }

  set communityId(v: string) {
    this.cid = v;
    this.cidKey = null;
  }

  /** Computes the Community ID from the flow key on first read. */
  communityIdFrom(seed: number, key: readonly number[]): void {
    this.cid = null;
    this.cidSeed = seed;
    this.cidKey = key;
  }

  get app(): AppPeek | null {
    if (this.appPending) {
      this.appPending = false;
      if (this.proto === PROTO_TCP) {
        // Only bytes at their own offsets: a cut capture's later pieces would join into lines never sent.
        const fwd = knownHead(this.fwd);
        const http = peekHttp(fwd, knownHead(this.rev), headCut(this.fwd));
        const sni = peekTlsSni(fwd);
        if (http || sni !== null) this.appValue = { http, dns: null, tls: sni !== null ? { sni } : null };
      }
    }
    return this.appValue;
  }

  set app(v: AppPeek | null) {
    this.appValue = v;
    this.appPending = false;
  }

  /** Reads the HTTP / TLS peek from the stream prefixes on first read of `app`. */
  peekAppLater(): void {
    this.appPending = true;
  }

  /** The flow as plain data (the lazy fields are accessors on the prototype). */
  toJSON(): Flow {
    return {
      id: this.id,
      iface: this.iface,
      ifaceKey: this.ifaceKey,
      file: this.file,
      proto: this.proto,
      ipVersion: this.ipVersion,
      src: this.src,
      dst: this.dst,
      communityId: this.communityId,
      firstUs: this.firstUs,
      lastUs: this.lastUs,
      state: this.state,
      midStream: this.midStream,
      closedBy: this.closedBy,
      resetBy: this.resetBy,
      halfFlow: this.halfFlow,
      fwd: this.fwd,
      rev: this.rev,
      handshakeRttUs: this.handshakeRttUs,
      app: this.app,
      icmp: this.icmp,
      icmpErrorFlowIds: this.icmpErrorFlowIds,
      sllPktTypes: this.sllPktTypes,
      sllPktTypesByDir: this.sllPktTypesByDir,
      samples: this.samples,
    };
  }
}
