import { writeFileSync } from 'node:fs';
import { buildTcpFrame, prng, ipv4, type TcpFrameSpec } from './pcap-writer.js';
import { PcapngWriter } from './pcapng-writer.js';

/**
 * Generates the correlator's scale benchmark: one pcapng with three named interfaces (lo,
 * docker0, eth0) carrying `conversations` interleaved TCP conversations that mix docker-proxy
 * relays (lo + docker0, two independent connections), kernel DNAT (eth0 → docker0, same packet
 * rewritten) and MASQUERADE (docker0 → eth0). A third of them carry byte-identical payloads
 * (health checks), so payload alone cannot pair them. Field behaviour follows
 * docker-nat-facts.md §2: kernel NAT keeps ISN, IP ID, TSval and payload, decrements TTL when
 * forwarding; the proxy's second connection shares only the payload bytes, 50–500 µs later.
 *
 * Two response mixes. 'small' (the original benchmark): every connection is 10 packets, one small
 * request segment and one small response segment. 'web': each non-health-check response body
 * is drawn from WEB_RESPONSE_BANDS and sent as MSS-sized segments (slow start, the receiver
 * ACKing every second segment); docker-proxy's lo connection carries the same bytes cut
 * differently (see relayWrites). Both mixes draw the same conversations, tuples and timings
 * from the main PRNG; the web mix's extra draws come from a second one.
 *
 * Returns the ground truth: for every conversation its mechanism and each leg's tuple.
 */
export interface TruthLeg { iface: string; src: string; dst: string }
export interface TruthConversation {
  id: number; mechanism: 'userland-proxy' | 'dnat' | 'snat'; identicalPayload: boolean; legs: TruthLeg[];
  /** Web mix only: bytes of the HTTP response (header + body) the server sent. */
  responseBytes?: number;
}
export type ResponseMix = 'small' | 'web';
export const RESPONSE_MIXES: readonly ResponseMix[] = ['small', 'web'];

const IFACES = ['lo', 'docker0', 'eth0'];
const LO = 0, DOCKER0 = 1, ETH0 = 2;

interface Pkt { ts: number; iface: number; spec: TcpFrameSpec }

interface LegSpec {
  iface: number;
  a: number; aPort: number; b: number; bPort: number;
  isnA: number; isnB: number; ipIdA: number; ipIdB: number; tsA: number; tsB: number;
  ttlA: number; ttlB: number; macA: number; macB: number;
}

const FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;

function ipText(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * Emits one TCP connection's packets. `times` gives each packet's timestamp; the packet order
 * is fixed: SYN, SYN-ACK, ACK, request, ACK, response, ACK, FIN, FIN-ACK, ACK.
 */
function emitConnection(out: Pkt[], leg: LegSpec, times: number[], req: Uint8Array, resp: Uint8Array): void {
  let sa = leg.isnA, sb = leg.isnB, ia = leg.ipIdA, ib = leg.ipIdB;
  let ta = leg.tsA, tb = leg.tsB;
  const fromA = (flags: number, payload?: Uint8Array, synOpts = false): TcpFrameSpec => ({
    srcMac: leg.macA, dstMac: leg.macB, src: leg.a, dst: leg.b, sport: leg.aPort, dport: leg.bPort,
    seq: sa, ack: flags & ACK ? sb : 0, flags, ipId: ia++ & 0xffff, ttl: leg.ttlA, window: 502,
    tsVal: ta++ >>> 0, tsEcr: flags & ACK ? (tb - 1) >>> 0 : 0, synOptions: synOpts, payload,
  });
  const fromB = (flags: number, payload?: Uint8Array, synOpts = false): TcpFrameSpec => ({
    srcMac: leg.macB, dstMac: leg.macA, src: leg.b, dst: leg.a, sport: leg.bPort, dport: leg.aPort,
    seq: sb, ack: sa, flags, ipId: ib++ & 0xffff, ttl: leg.ttlB, window: 509,
    tsVal: tb++ >>> 0, tsEcr: (ta - 1) >>> 0, synOptions: synOpts, payload,
  });
  const specs: { dirA: boolean; s: TcpFrameSpec }[] = [];
  specs.push({ dirA: true, s: fromA(SYN, undefined, true) }); sa = (sa + 1) >>> 0;
  specs.push({ dirA: false, s: fromB(SYN | ACK, undefined, true) }); sb = (sb + 1) >>> 0;
  specs.push({ dirA: true, s: fromA(ACK) });
  specs.push({ dirA: true, s: fromA(PSH | ACK, req) }); sa = (sa + req.length) >>> 0;
  specs.push({ dirA: false, s: fromB(ACK) });
  specs.push({ dirA: false, s: fromB(PSH | ACK, resp) }); sb = (sb + resp.length) >>> 0;
  specs.push({ dirA: true, s: fromA(ACK) });
  specs.push({ dirA: true, s: fromA(FIN | ACK) }); sa = (sa + 1) >>> 0;
  specs.push({ dirA: false, s: fromB(FIN | ACK) }); sb = (sb + 1) >>> 0;
  specs.push({ dirA: true, s: fromA(ACK) });
  for (let i = 0; i < specs.length; i++) out.push({ ts: times[i], iface: leg.iface, spec: specs[i].s });
}

/** Packet times of one connection, from a start, an RTT and the server's think time. */
function connectionTimes(start: number, rtt: number, think: number): number[] {
  const t: number[] = [];
  t[0] = start; t[1] = start + rtt; t[2] = t[1] + 5; t[3] = t[2] + 20;
  t[4] = t[3] + rtt; t[5] = t[3] + think; t[6] = t[5] + rtt; t[7] = t[6] + 30; t[8] = t[7] + rtt; t[9] = t[8] + 5;
  return t;
}

/**
 * Response body sizes of the web mix: [share, low, high] bands, log-uniform inside a band.
 * This shape is OUR ASSUMPTION for API/web traffic behind a published port (mostly small JSON
 * and HTML, a third a few KB, a tail of assets up to 128 KB); it is not fitted to a data set.
 * It has the right order of magnitude next to HTTP Archive's per-request medians (a few KB for
 * HTML/CSS/JS, tens of KB for images), but we did not reproduce those figures here.
 */
export const WEB_RESPONSE_BANDS: readonly (readonly [number, number, number])[] = [
  [0.5, 200, 2048],
  [0.35, 2048, 16384],
  [0.15, 16384, 131072],
];

/** Payload per full segment: Ethernet MSS 1460 minus the 12-byte timestamps option. */
const ETH_SEGMENT = 1448;
/** Loopback MTU 65536 → MSS 65495: docker-proxy's writes to lo are never cut by the MSS. */
const LO_MSS = 65495;
/** Linux initial congestion window, in segments (RFC 6928). */
const INIT_CWND = 10;
/** One 1514-byte frame's time on a 1 Gbit/s link, µs. */
const WIRE_GAP = 12;

function webBodySize(r: () => number): number {
  let u = r();
  for (const [share, lo, hi] of WEB_RESPONSE_BANDS) {
    if (u < share) return Math.round(lo * Math.pow(hi / lo, r()));
    u -= share;
  }
  const last = WEB_RESPONSE_BANDS[WEB_RESPONSE_BANDS.length - 1];
  return last[2];
}

/** A distinct HTTP response of `bodyLen` body bytes (pseudo-random, so no two bodies match). */
function webResponse(encode: (text: string) => Uint8Array, r: () => number, id: number, bodyLen: number): Uint8Array {
  const head = encode(`HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nX-Item: ${id}\r\nContent-Length: ${bodyLen}\r\n\r\n`);
  const out = new Uint8Array(head.length + bodyLen);
  out.set(head);
  let x = (r() * 4294967296) >>> 0 || 1;
  for (let i = head.length; i < out.length; i++) {
    // xorshift32: cheap per-byte filler, seeded from the web PRNG.
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * One packet of a scripted connection. `seq` / `ack` are offsets from the sender's / peer's ISN
 * (the SYN counts 1); `ack` < 0 means no ACK flag. Payload is data[off, off + len) of the
 * sender's stream (A: request, B: response).
 */
interface Step { t: number; fromA: boolean; flags: number; seq: number; ack: number; off: number; len: number }

interface Seg { t: number; off: number; len: number; psh: boolean }

/** The server's response segments: slow start from INIT_CWND, a new round once per RTT. */
function slowStartSegments(start: number, rtt: number, total: number): Seg[] {
  const segs: Seg[] = [];
  let off = 0, round = start, cwnd = INIT_CWND;
  while (off < total) {
    let t = round;
    for (let k = 0; k < cwnd && off < total; k++) {
      const len = Math.min(ETH_SEGMENT, total - off);
      segs.push({ t, off, len, psh: off + len === total });
      off += len; t += WIRE_GAP;
    }
    round = Math.max(t, round + rtt);
    cwnd *= 2;
  }
  return segs;
}

/**
 * A connection's packets: handshake at `start`, the request at `reqAt`, `segs` from B, each
 * second one (and the last) ACKed `ackLag` later, then A closes at `finAt` (or 30 µs after the
 * last ACK).
 */
function scriptConnection(start: number, rtt: number, reqAt: number, reqLen: number, segs: Seg[], respLen: number, ackLag: number, finAt?: number): Step[] {
  const st: Step[] = [];
  st.push({ t: start, fromA: true, flags: SYN, seq: 0, ack: -1, off: 0, len: 0 });
  st.push({ t: start + rtt, fromA: false, flags: SYN | ACK, seq: 0, ack: 1, off: 0, len: 0 });
  st.push({ t: start + rtt + 5, fromA: true, flags: ACK, seq: 1, ack: 1, off: 0, len: 0 });
  st.push({ t: reqAt, fromA: true, flags: PSH | ACK, seq: 1, ack: 1, off: 0, len: reqLen });
  st.push({ t: reqAt + rtt, fromA: false, flags: ACK, seq: 1, ack: 1 + reqLen, off: 0, len: 0 });
  let lastAck = reqAt;
  segs.forEach((g, k) => {
    st.push({ t: g.t, fromA: false, flags: g.psh ? PSH | ACK : ACK, seq: 1 + g.off, ack: 1 + reqLen, off: g.off, len: g.len });
    if (k % 2 === 1 || k === segs.length - 1) {
      lastAck = g.t + ackLag;
      st.push({ t: lastAck, fromA: true, flags: ACK, seq: 1 + reqLen, ack: 1 + g.off + g.len, off: 0, len: 0 });
    }
  });
  const fin = finAt ?? lastAck + 30;
  st.push({ t: fin, fromA: true, flags: FIN | ACK, seq: 1 + reqLen, ack: 1 + respLen, off: 0, len: 0 });
  st.push({ t: fin + rtt, fromA: false, flags: FIN | ACK, seq: 1 + respLen, ack: 2 + reqLen, off: 0, len: 0 });
  st.push({ t: fin + rtt + 5, fromA: true, flags: ACK, seq: 2 + reqLen, ack: 2 + respLen, off: 0, len: 0 });
  // Stable: a sender's packets keep their order when two share a microsecond.
  st.sort((x, y) => x.t - y.t);
  return st;
}

/**
 * Emits a scripted connection on one leg, A's packets `shiftA` µs and B's `shiftB` µs from the
 * script's times. IP ID and TSval count per sender in script order, so two legs of one kernel-
 * NATed connection emitted from one script carry identical ISN, IP ID, TSval and payload.
 */
function emitScript(out: Pkt[], leg: LegSpec, steps: Step[], req: Uint8Array, resp: Uint8Array, shiftA = 0, shiftB = 0, mss?: number): void {
  let ia = leg.ipIdA, ib = leg.ipIdB, ta = leg.tsA, tb = leg.tsB;
  for (const s of steps) {
    const syn = (s.flags & SYN) !== 0;
    const data = s.fromA ? req : resp;
    const spec: TcpFrameSpec = s.fromA
      ? { srcMac: leg.macA, dstMac: leg.macB, src: leg.a, dst: leg.b, sport: leg.aPort, dport: leg.bPort,
          seq: (leg.isnA + s.seq) >>> 0, ack: s.ack < 0 ? 0 : (leg.isnB + s.ack) >>> 0, flags: s.flags, ipId: ia++ & 0xffff, ttl: leg.ttlA, window: 502,
          tsVal: ta++ >>> 0, tsEcr: s.ack < 0 ? 0 : (tb - 1) >>> 0, synOptions: syn, mss: syn ? mss : undefined,
          payload: s.len > 0 ? data.subarray(s.off, s.off + s.len) : undefined }
      : { srcMac: leg.macB, dstMac: leg.macA, src: leg.b, dst: leg.a, sport: leg.bPort, dport: leg.aPort,
          seq: (leg.isnB + s.seq) >>> 0, ack: (leg.isnA + s.ack) >>> 0, flags: s.flags, ipId: ib++ & 0xffff, ttl: leg.ttlB, window: 509,
          tsVal: tb++ >>> 0, tsEcr: (ta - 1) >>> 0, synOptions: syn, mss: syn ? mss : undefined,
          payload: s.len > 0 ? data.subarray(s.off, s.off + s.len) : undefined };
    out.push({ ts: s.t + (s.fromA ? shiftA : shiftB), iface: leg.iface, spec });
  }
}

/**
 * docker-proxy's writes to the client on lo: each carries what one read returned from the
 * container's connection, here 1 to 4 docker0 segments (a read returns what has arrived; Go's
 * io.Copy buffer is 32 KiB), `relay` µs after the last of them arrived. Loopback's MSS exceeds
 * every write, so each write is one lo segment: same bytes, different segmentation.
 */
function relayWrites(segs: Seg[], relay: number, r: () => number): Seg[] {
  const out: Seg[] = [];
  let k = 0, last = -Infinity;
  while (k < segs.length) {
    const n = Math.min(segs.length - k, 1 + Math.floor(r() * 4));
    const first = segs[k], end = segs[k + n - 1];
    const t = Math.max(end.t + relay, last + 1);
    out.push({ t, off: first.off, len: end.off + end.len - first.off, psh: true });
    last = t; k += n;
  }
  return out;
}

export function generateNatScenarios(path: string, truthPath: string, conversations = 20_000, seed = 7, mix: ResponseMix = 'small'): { bytes: number; packets: number; truth: TruthConversation[] } {
  const rand = prng(seed);
  // The web mix's own draws, so the main sequence (tuples, ISNs, timings) matches the small mix.
  const wrand = prng(seed ^ 0x5eb5eb);
  const web = mix === 'web';
  const r32 = () => (rand() * 4294967296) >>> 0;
  const r16 = () => (rand() * 65536) | 0;
  const enc = new TextEncoder();
  const healthReq = enc.encode('GET /health HTTP/1.1\r\nHost: api\r\nUser-Agent: probe/1.0\r\n\r\n');
  const healthResp = enc.encode('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');
  const host = ipv4('198.18.0.1');
  const bridge = ipv4('172.17.0.1');
  const loopback = ipv4('127.0.0.1');
  const pkts: Pkt[] = [];
  const truth: TruthConversation[] = [];
  let t = 1_760_000_000_000_000;
  for (let i = 0; i < conversations; i++) {
    // ~2,000 new conversations per second, each lasting a few ms: hundreds overlap at any time.
    t += Math.floor(rand() * 1000);
    const kind = i % 3; // 0 proxy, 1 dnat, 2 masquerade
    const identical = rand() < 1 / 3;
    const req = identical ? healthReq : enc.encode(`GET /item/${i}?r=${r32()} HTTP/1.1\r\nHost: api\r\n\r\n`);
    const resp = identical ? healthResp
      : web ? webResponse((x) => enc.encode(x), wrand, i, webBodySize(wrand))
      : enc.encode(`HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nitem-${String(i).padStart(7, '0')}`);
    const extra = web ? { responseBytes: resp.length } : {};
    const container = ipv4('172.17.0.2') + (i % 40);
    const rtt = 20 + Math.floor(rand() * 40);
    const think = 200 + Math.floor(rand() * 800);
    if (kind === 0) {
      const cport = 32768 + (i % 28000);
      const pport = 32768 + ((i * 7) % 28000);
      const lo: LegSpec = { iface: LO, a: loopback, aPort: cport, b: loopback, bPort: 5000, isnA: r32(), isnB: r32(), ipIdA: r16(), ipIdB: 0, tsA: r32(), tsB: r32(), ttlA: 64, ttlB: 64, macA: 0, macB: 0 };
      const d0: LegSpec = { iface: DOCKER0, a: bridge, aPort: pport, b: container, bPort: 5000, isnA: r32(), isnB: r32(), ipIdA: r16(), ipIdB: r16(), tsA: r32(), tsB: r32(), ttlA: 64, ttlB: 64, macA: 0x1001, macB: 0x2000 + (i % 40) };
      const loT = connectionTimes(t, 10, think + 2 * rtt + 200);
      // The proxy dials the container once it has accepted the client (after the lo handshake).
      const relay = 50 + Math.floor(rand() * 450);
      const dT = connectionTimes(loT[2] + relay, rtt, think);
      // Request relayed after the lo request; response relayed to lo after the docker0 one.
      dT[3] = Math.max(dT[2] + 5, loT[3] + relay);
      if (web) {
        const dSegs = slowStartSegments(dT[3] + think, rtt, resp.length);
        const loSegs = relayWrites(dSegs, relay, wrand);
        const loSteps = scriptConnection(loT[0], 10, loT[3], req.length, loSegs, resp.length, 10);
        // The proxy closes its container side once the client has closed lo.
        const loFin = loSteps.find((x) => x.fromA && (x.flags & FIN) !== 0)?.t ?? loT[7];
        emitScript(pkts, lo, loSteps, req, resp, 0, 0, LO_MSS);
        emitScript(pkts, d0, scriptConnection(dT[0], rtt, dT[3], req.length, dSegs, resp.length, 10, loFin + relay), req, resp);
      } else {
        dT[4] = dT[3] + rtt; dT[5] = dT[3] + think; dT[6] = dT[5] + rtt;
        loT[5] = dT[5] + relay; loT[6] = loT[5] + 10;
        loT[7] = loT[6] + 30; loT[8] = loT[7] + 10; loT[9] = loT[8] + 5;
        dT[7] = loT[7] + relay; dT[8] = dT[7] + rtt; dT[9] = dT[8] + 5;
        emitConnection(pkts, lo, loT, req, resp);
        emitConnection(pkts, d0, dT, req, resp);
      }
      truth.push({ id: i, mechanism: 'userland-proxy', identicalPayload: identical, legs: [
        { iface: 'lo', src: `127.0.0.1:${cport}`, dst: '127.0.0.1:5000' },
        { iface: 'docker0', src: `172.17.0.1:${pport}`, dst: `${ipText(container)}:5000` },
      ], ...extra });
    } else {
      const isnA = r32(), isnB = r32(), ipIdA = r16(), ipIdB = r16(), tsA = r32(), tsB = r32();
      const fwd = 10 + Math.floor(rand() * 30);
      // The client sees an RTT that includes crossing the NAT box twice, so on the server side the
      // server never answers a packet before it arrived (the web mix scripts its own times below).
      const base = connectionTimes(t, web ? rtt : rtt + 2 * fwd, think);
      // Client→server packets cross the NAT box in one order, replies in the other.
      const clientSide = base.slice();
      const serverSide = base.map((x, k) => ([0, 2, 3, 6, 7, 9].includes(k) ? x + fwd : x - fwd));
      // Web mix: one script for both legs (same packets, so same ISN, IP ID, TSval, payload),
      // seen `fwd` µs later on the server side going to the server, earlier coming back, with
      // the same client-side RTT as the small mix.
      const rttC = rtt + 2 * fwd;
      const steps = web ? scriptConnection(base[0], rttC, base[3], req.length, slowStartSegments(base[3] + think, rttC, resp.length), resp.length, 10) : [];
      const emitLeg = (leg: LegSpec, serverSideLeg: boolean) => {
        if (!web) emitConnection(pkts, leg, serverSideLeg ? serverSide : clientSide, req, resp);
        else if (serverSideLeg) emitScript(pkts, leg, steps, req, resp, fwd, -fwd);
        else emitScript(pkts, leg, steps, req, resp);
      };
      if (kind === 1) {
        const client = ipv4('198.18.1.0') + 2 + (i % 4000);
        const cport = 1024 + ((i * 13) % 60000);
        const eth: LegSpec = { iface: ETH0, a: client, aPort: cport, b: host, bPort: 8080, isnA, isnB, ipIdA, ipIdB, tsA, tsB, ttlA: 64, ttlB: 63, macA: 0x3000, macB: 0x3001 };
        const d0: LegSpec = { iface: DOCKER0, a: client, aPort: cport, b: container, bPort: 80, isnA, isnB, ipIdA, ipIdB, tsA, tsB, ttlA: 63, ttlB: 64, macA: 0x1001, macB: 0x2000 + (i % 40) };
        emitLeg(eth, false);
        emitLeg(d0, true);
        truth.push({ id: i, mechanism: 'dnat', identicalPayload: identical, legs: [
          { iface: 'eth0', src: `${ipText(client)}:${cport}`, dst: '198.18.0.1:8080' },
          { iface: 'docker0', src: `${ipText(client)}:${cport}`, dst: `${ipText(container)}:80` },
        ], ...extra });
      } else {
        const server = ipv4('198.18.2.0') + 10 + (i % 50);
        const cport = 32768 + ((i * 11) % 28000);
        const d0: LegSpec = { iface: DOCKER0, a: container, aPort: cport, b: server, bPort: 443, isnA, isnB, ipIdA, ipIdB, tsA, tsB, ttlA: 64, ttlB: 63, macA: 0x2000 + (i % 40), macB: 0x1001 };
        const eth: LegSpec = { iface: ETH0, a: host, aPort: cport, b: server, bPort: 443, isnA, isnB, ipIdA, ipIdB, tsA, tsB, ttlA: 63, ttlB: 64, macA: 0x3001, macB: 0x3000 };
        emitLeg(d0, false);
        emitLeg(eth, true);
        truth.push({ id: i, mechanism: 'snat', identicalPayload: identical, legs: [
          { iface: 'docker0', src: `${ipText(container)}:${cport}`, dst: `${ipText(server)}:443` },
          { iface: 'eth0', src: `198.18.0.1:${cport}`, dst: `${ipText(server)}:443` },
        ], ...extra });
      }
    }
  }
  pkts.sort((x, y) => x.ts - y.ts);
  const w = new PcapngWriter(path, IFACES.map((name) => ({ name, linktype: 1 })));
  // Room for the largest IPv4 packet: the web mix's lo segments exceed Ethernet's MTU.
  const frame = new Uint8Array(14 + 65535);
  for (const p of pkts) {
    const len = buildTcpFrame(frame, p.spec);
    w.write(p.iface, p.ts, frame, len);
  }
  w.close();
  writeFileSync(truthPath, JSON.stringify(truth));
  return { bytes: w.bytesWritten, packets: w.records, truth };
}
