import { PcapWriter, buildTcpFrame, prng, ipv4 } from './pcap-writer.js';

/**
 * A classic pcap of `count` short TCP connections, one after another (`spacingUs` apart): SYN,
 * SYN-ACK, ACK + 16-byte request, FIN-ACK, FIN-ACK, ACK. Client addresses cycle through 10.x.y.z
 * and ports through 1024..61023 so no tuple repeats. This is the capture that shows whether the flow
 * table's memory is bounded by live flows rather than by the length of the capture.
 */
export function generateShortConnections(
  path: string,
  count = 1_000_000,
  spacingUs = 1000,
): { packets: number; bytes: number; connections: number } {
  const w = new PcapWriter(path, 1);
  const rand = prng(0xc0ffee);
  const frame = new Uint8Array(256);
  const request = new TextEncoder().encode('GET / HTTP/1.0\r\n');
  const server = ipv4('172.17.0.2');
  const base = 1_700_000_000_000_000;
  const SYN = 2;
  const ACK = 16;
  const FIN = 1;
  const PSH = 8;
  for (let i = 0; i < count; i++) {
    const client = (ipv4('10.0.0.0') + Math.floor(i / 60000) + 1) >>> 0;
    const sport = 1024 + (i % 60000);
    const cisn = (rand() * 2 ** 32) >>> 0;
    const sisn = (rand() * 2 ** 32) >>> 0;
    const ipc = (rand() * 65536) | 0;
    const ips = (rand() * 65536) | 0;
    const t = base + i * spacingUs;
    const c = { srcMac: 1, dstMac: 2, src: client, dst: server, sport, dport: 80, ttl: 64, window: 64240 };
    const s = { srcMac: 2, dstMac: 1, src: server, dst: client, sport: 80, dport: sport, ttl: 64, window: 65160 };
    const cs = (cisn + 1) >>> 0;
    const ss = (sisn + 1) >>> 0;
    const pkts: [number, Parameters<typeof buildTcpFrame>[1]][] = [
      [0, { ...c, seq: cisn, ack: 0, flags: SYN, ipId: ipc, synOptions: true }],
      [50, { ...s, seq: sisn, ack: cs, flags: SYN | ACK, ipId: 0, synOptions: true }],
      [100, { ...c, seq: cs, ack: ss, flags: ACK | PSH, ipId: ipc + 1, payload: request }],
      [150, { ...c, seq: (cs + request.length) >>> 0, ack: ss, flags: FIN | ACK, ipId: ipc + 2 }],
      [200, { ...s, seq: ss, ack: (cs + request.length + 1) >>> 0, flags: FIN | ACK, ipId: ips }],
      [250, { ...c, seq: (cs + request.length + 1) >>> 0, ack: (ss + 1) >>> 0, flags: ACK, ipId: ipc + 3 }],
    ];
    for (const [dt, spec] of pkts) {
      const n = buildTcpFrame(frame, spec);
      w.write(t + dt, frame, n);
    }
  }
  w.close();
  return { packets: w.records, bytes: w.bytesWritten, connections: count };
}
