import { PcapWriter, buildTcpFrame, prng, ipv4 } from './pcap-writer.js';

/**
 * Generates the reader/decoder benchmark capture: small Ethernet/IPv4/TCP frames from
 * several thousand interleaved connections (handshake, small request/response segments
 * with timestamps, FIN close), until the file reaches `targetBytes`.
 */
export function generateSmallFrames(path: string, targetBytes = 200 * 1024 * 1024, concurrent = 4000): { bytes: number; packets: number; connections: number } {
  const w = new PcapWriter(path, 1);
  const rand = prng(0x5eed);
  const frame = new Uint8Array(2048);
  const payload = new Uint8Array(64);
  for (let i = 0; i < payload.length; i++) payload[i] = 0x41 + (i % 26);
  const client = ipv4('10.1.0.0');
  const server = ipv4('10.2.0.10');
  interface Conn { sport: number; cseq: number; sseq: number; step: number; steps: number; ipIdC: number; ipIdS: number; host: number }
  const conns: Conn[] = [];
  let started = 0;
  let nextPort = 1024;
  const mk = (): Conn => {
    started++;
    nextPort = nextPort >= 65000 ? 1024 : nextPort + 1;
    return { sport: nextPort, cseq: (rand() * 2 ** 32) >>> 0, sseq: (rand() * 2 ** 32) >>> 0, step: 0, steps: 6 + Math.floor(rand() * 20), ipIdC: (rand() * 65536) | 0, ipIdS: (rand() * 65536) | 0, host: 1 + (started % 250) };
  };
  for (let i = 0; i < concurrent; i++) conns.push(mk());
  let ts = 1_700_000_000_000_000;
  let tsVal = 1000;
  while (w.bytesWritten < targetBytes) {
    const idx = Math.floor(rand() * conns.length);
    const c = conns[idx];
    ts += 7;
    tsVal++;
    const base = { srcMac: 0x11, dstMac: 0x22, window: 502, ttl: 64 };
    const cl = (client + c.host) >>> 0;
    let len: number;
    if (c.step === 0) {
      len = buildTcpFrame(frame, { ...base, src: cl, dst: server, sport: c.sport, dport: 80, seq: c.cseq, ack: 0, flags: 0x02, ipId: c.ipIdC++, synOptions: true, tsVal, tsEcr: 0 });
      c.cseq++;
    } else if (c.step === 1) {
      len = buildTcpFrame(frame, { ...base, src: server, dst: cl, sport: 80, dport: c.sport, seq: c.sseq, ack: c.cseq, flags: 0x12, ipId: c.ipIdS++, synOptions: true, tsVal, tsEcr: tsVal - 1 });
      c.sseq++;
    } else if (c.step < c.steps) {
      const n = 8 + Math.floor(rand() * 56);
      const fromClient = c.step % 2 === 0;
      const p = payload.subarray(0, n);
      len = fromClient
        ? buildTcpFrame(frame, { ...base, src: cl, dst: server, sport: c.sport, dport: 80, seq: c.cseq, ack: c.sseq, flags: 0x18, ipId: c.ipIdC++, tsVal, tsEcr: tsVal - 1, payload: p })
        : buildTcpFrame(frame, { ...base, src: server, dst: cl, sport: 80, dport: c.sport, seq: c.sseq, ack: c.cseq, flags: 0x18, ipId: c.ipIdS++, tsVal, tsEcr: tsVal - 1, payload: p });
      if (fromClient) c.cseq += n; else c.sseq += n;
    } else {
      len = buildTcpFrame(frame, { ...base, src: cl, dst: server, sport: c.sport, dport: 80, seq: c.cseq, ack: c.sseq, flags: 0x11, ipId: c.ipIdC++, tsVal, tsEcr: tsVal - 1 });
      conns[idx] = mk();
    }
    c.step++;
    w.write(ts, frame, len);
  }
  w.close();
  return { bytes: w.bytesWritten, packets: w.records, connections: started };
}
