import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/read/index.js';
import { decodePacket } from '../../src/decode/index.js';
import { Packet } from '../../src/decode/packet.js';
import { FlowTable } from '../../src/flows/flow-table.js';
import type { Flow } from '../../src/flows/flow.js';
import { generateShortConnections } from '../../bench/gen-short-connections.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('natflow-flows-mem-');

describe('flow table memory is bounded by live flows', () => {
  it('5,000 short connections: each finalized once as closed-fin while live flows stay few', async () => {
    const file = join(dir, 'short.pcap');
    const n = 5_000;
    // 1 ms apart, 100 ms linger: about 100 flows may legitimately be live at once.
    generateShortConnections(file, n, 1000);
    const closed: Flow[] = [];
    const table = new FlowTable({ retainFlows: false, closeLingerUs: 100_000, onFlowClosed: (f) => closed.push(f) });
    const pkt = new Packet();
    let maxLive = 0;
    let packets = 0;
    const res = await readCapture(file, (rec) => {
      decodePacket(pkt, rec.data, rec.linktype, rec.len);
      table.add(pkt, rec.tsSec * 1e6 + rec.tsNsec / 1e3, 'eth0', '0:0', file);
      if (++packets % 1000 === 0) maxLive = Math.max(maxLive, table.liveCount);
    });
    expect(res.error).toBeNull();
    const beforeFinish = closed.length;
    expect(table.finish()).toEqual([]); // nothing retained
    expect(closed).toHaveLength(n);
    expect(beforeFinish).toBeGreaterThan(n - 500); // finalized while reading, not at the end
    expect(maxLive).toBeLessThan(500);
    expect(table.liveCount).toBe(0);
    for (const f of closed) {
      expect(f.state).toBe('closed-fin');
      expect(f.fwd.packets + f.rev.packets).toBe(6);
      expect(f.fwd.retransmissions + f.rev.retransmissions).toBe(0);
      // Finalized: samples trimmed to the packets seen, reassembly buffers reduced to the prefix.
      expect(f.samples.count).toBe(6);
      expect(f.samples.tsUs.length).toBeLessThanOrEqual(8);
      expect(f.fwd.prefix.length).toBe(16);
    }
    expect(new Set(closed.map((f) => `${f.src.ip}:${f.src.port}`)).size).toBe(n);
  });
});
