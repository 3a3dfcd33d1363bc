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
 * Returns the ground truth: for every conversation its mechanism and each leg's tuple.
 */
export interface TruthLeg { iface: string; src: string; dst: string }
export interface TruthConversation { id: number; mechanism: 'userland-proxy' | 'dnat' | 'snat'; identicalPayload: boolean; legs: TruthLeg[] }

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

export function generateNatScenarios(path: string, truthPath: string, conversations = 20_000, seed = 7): { bytes: number; packets: number; truth: TruthConversation[] } {
  const rand = prng(seed);
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
    const resp = identical ? healthResp : enc.encode(`HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nitem-${String(i).padStart(7, '0')}`);
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
      dT[4] = dT[3] + rtt; dT[5] = dT[3] + think; dT[6] = dT[5] + rtt;
      loT[5] = dT[5] + relay; loT[6] = loT[5] + 10;
      loT[7] = loT[6] + 30; loT[8] = loT[7] + 10; loT[9] = loT[8] + 5;
      dT[7] = loT[7] + relay; dT[8] = dT[7] + rtt; dT[9] = dT[8] + 5;
      emitConnection(pkts, lo, loT, req, resp);
      emitConnection(pkts, d0, dT, req, resp);
      truth.push({ id: i, mechanism: 'userland-proxy', identicalPayload: identical, legs: [
        { iface: 'lo', src: `127.0.0.1:${cport}`, dst: '127.0.0.1:5000' },
        { iface: 'docker0', src: `172.17.0.1:${pport}`, dst: `${ipText(container)}:5000` },
      ] });
    } else {
      const isnA = r32(), isnB = r32(), ipIdA = r16(), ipIdB = r16(), tsA = r32(), tsB = r32();
      const base = connectionTimes(t, rtt, think);
      const fwd = 10 + Math.floor(rand() * 30);
      // Client→server packets cross the NAT box in one order, replies in the other.
      const clientSide = base.slice();
      const serverSide = base.map((x, k) => ([0, 2, 3, 6, 7, 9].includes(k) ? x + fwd : x - fwd));
      if (kind === 1) {
        const client = ipv4('198.18.1.0') + 2 + (i % 4000);
        const cport = 1024 + ((i * 13) % 60000);
        const eth: LegSpec = { iface: ETH0, a: client, aPort: cport, b: host, bPort: 8080, isnA, isnB, ipIdA, ipIdB, tsA, tsB, ttlA: 64, ttlB: 63, macA: 0x3000, macB: 0x3001 };
        const d0: LegSpec = { iface: DOCKER0, a: client, aPort: cport, b: container, bPort: 80, isnA, isnB, ipIdA, ipIdB, tsA, tsB, ttlA: 63, ttlB: 64, macA: 0x1001, macB: 0x2000 + (i % 40) };
        emitConnection(pkts, eth, clientSide, req, resp);
        emitConnection(pkts, d0, serverSide, req, resp);
        truth.push({ id: i, mechanism: 'dnat', identicalPayload: identical, legs: [
          { iface: 'eth0', src: `${ipText(client)}:${cport}`, dst: '198.18.0.1:8080' },
          { iface: 'docker0', src: `${ipText(client)}:${cport}`, dst: `${ipText(container)}:80` },
        ] });
      } else {
        const server = ipv4('198.18.2.0') + 10 + (i % 50);
        const cport = 32768 + ((i * 11) % 28000);
        const d0: LegSpec = { iface: DOCKER0, a: container, aPort: cport, b: server, bPort: 443, isnA, isnB, ipIdA, ipIdB, tsA, tsB, ttlA: 64, ttlB: 63, macA: 0x2000 + (i % 40), macB: 0x1001 };
        const eth: LegSpec = { iface: ETH0, a: host, aPort: cport, b: server, bPort: 443, isnA, isnB, ipIdA, ipIdB, tsA, tsB, ttlA: 63, ttlB: 64, macA: 0x3001, macB: 0x3000 };
        emitConnection(pkts, d0, clientSide, req, resp);
        emitConnection(pkts, eth, serverSide, req, resp);
        truth.push({ id: i, mechanism: 'snat', identicalPayload: identical, legs: [
          { iface: 'docker0', src: `${ipText(container)}:${cport}`, dst: `${ipText(server)}:443` },
          { iface: 'eth0', src: `198.18.0.1:${cport}`, dst: `${ipText(server)}:443` },
        ] });
      }
    }
  }
  pkts.sort((x, y) => x.ts - y.ts);
  const w = new PcapngWriter(path, IFACES.map((name) => ({ name, linktype: 1 })));
  const frame = new Uint8Array(2048);
  for (const p of pkts) {
    const len = buildTcpFrame(frame, p.spec);
    w.write(p.iface, p.ts, frame, len);
  }
  w.close();
  writeFileSync(truthPath, JSON.stringify(truth));
  return { bytes: w.bytesWritten, packets: w.records, truth };
}
