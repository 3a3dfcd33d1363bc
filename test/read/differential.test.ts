import { parse, type Packet } from 'pcap-parser';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/read/index.js';
import { manifest } from '../helpers/pcap-manifest.js';

/** Every valid microsecond classic pcap 2.4: the only thing pcap-parser reads. */
const rows = manifest().filter(
  (r) => /^pcap-(le|be)-us v2\.4/.test(r.format) && !r.tsharkRead.startsWith('partial') && !r.tsharkRead.startsWith('unreadable'),
);

function withPcapParser(abs: string): Promise<Packet[]> {
  return new Promise((resolve, reject) => {
    const out: Packet[] = [];
    const p = parse(abs);
    p.on('packet', (pkt: Packet) => out.push({ header: pkt.header, data: Buffer.from(pkt.data) }));
    p.on('error', reject);
    p.on('end', () => resolve(out));
  });
}

describe('natflow reader agrees with pcap-parser', () => {
  it('covers most of the corpus', () => {
    expect(rows.length).toBeGreaterThan(60);
  });

  it.each(rows.map((r) => [r.path, r] as const))('%s', async (_n, row) => {
    const theirs = await withPcapParser(row.abs);
    let i = 0;
    const res = await readCapture(row.abs, (rec) => {
      const t = theirs[i++];
      if (!t) throw new Error(`natflow delivered record ${i} but pcap-parser has only ${theirs.length}`);
      // pcap-parser hands out raw fields; an out-of-range fraction is carried into seconds by us.
      const theirNs = BigInt(t.header.timestampSeconds) * 1_000_000_000n + BigInt(t.header.timestampMicroseconds) * 1000n;
      expect(BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsNsec)).toBe(theirNs);
      expect(rec.caplen).toBe(t.header.capturedLength);
      expect(rec.len).toBe(t.header.originalLength);
      expect(Buffer.compare(Buffer.from(rec.data), t.data)).toBe(0);
    });
    expect(res.error).toBeNull();
    expect(i).toBe(theirs.length);
    expect(res.records).toBe(theirs.length);
  });
});
