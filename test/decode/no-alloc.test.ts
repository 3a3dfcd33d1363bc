import { join } from 'node:path';
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/read/index.js';
import { Packet, decodePacket } from '../../src/decode/index.js';
import { havePcaps, pcapsDir } from '../helpers/paths.js';

describe.skipIf(!havePcaps)('decoding clean packets allocates nothing per packet', () => {
  it('repeated decoding of a real capture keeps the heap flat', async () => {
    const frames: Array<{ data: Uint8Array; linktype: number; len: number }> = [];
    await readCapture(join(pcapsDir, 'pcapplusplus/sll.pcap'), (rec) => {
      frames.push({ data: rec.data.slice(), linktype: rec.linktype, len: rec.len });
    });
    const pkt = new Packet();
    const clean = frames.filter((f) => decodePacket(pkt, f.data, f.linktype, f.len).warnings.length === 0);
    expect(clean.length).toBeGreaterThan(400);
    const rounds = 1500;
    const loop = (): void => {
      for (let r = 0; r < rounds; r++) for (const f of clean) decodePacket(pkt, f.data, f.linktype, f.len);
    };
    loop(); // warm up so the JIT's own allocations are done
    // ~750k decodes: 16 bytes each would be 12 MB, several young-generation collections; a
    // synchronous loop that allocates nothing triggers none.
    const profiler = new v8.GCProfiler();
    profiler.start();
    loop();
    const gcs = profiler.stop().statistics.length;
    expect(gcs).toBeLessThanOrEqual(1);
  });
});
