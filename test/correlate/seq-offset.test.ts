/**
 * A constant sequence-number offset between two capture points is what conntrack seqadj (a NAT
 * helper or SYNPROXY) leaves behind (docker-nat-facts §2). Docker installs neither, so the lab
 * cannot record it: the DNAT scenario's docker0 capture is copied with the client's sequence
 * space moved by a constant (seq of its packets, ack of the server's), as seqadj would.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { scenarios } from './truth.js';
import { tempDir } from '../helpers/temp-dir.js';
import { havePcaps, pcapsDir } from '../helpers/paths.js';

const tmp = tempDir('natflow-seq-');

const OFFSET = 1000;

/** Ethernet/IPv4/TCP classic pcap (little-endian): shifts seq toward `port`, ack from it. */
function shiftSeq(src: string, dst: string, serverPort: number): number {
  const b = Buffer.from(readFileSync(src));
  if (b.readUInt32LE(0) !== 0xa1b2c3d4 && b.readUInt32LE(0) !== 0xa1b23c4d) throw new Error('expected a little-endian pcap');
  let changed = 0;
  let off = 24;
  while (off + 16 <= b.length) {
    const caplen = b.readUInt32LE(off + 8);
    const f = off + 16;
    off = f + caplen;
    if (caplen < 54 || b.readUInt16BE(f + 12) !== 0x0800 || b[f + 23] !== 6) continue;
    const tcp = f + 14 + (b[f + 14] & 0x0f) * 4;
    const sport = b.readUInt16BE(tcp);
    const dport = b.readUInt16BE(tcp + 2);
    if (dport === serverPort) b.writeUInt32BE((b.readUInt32BE(tcp + 4) + OFFSET) >>> 0, tcp + 4);
    else if (sport === serverPort && b[tcp + 13] & 0x10) b.writeUInt32BE((b.readUInt32BE(tcp + 8) + OFFSET) >>> 0, tcp + 8);
    else continue;
    changed++;
  }
  writeFileSync(dst, b);
  return changed;
}

const s = scenarios().find((x) => x.name.startsWith('02-'));

describe.skipIf(!s)('constant seq offset between capture points', () => {
  it('still pairs the DNAT conversation and says NAT helper or SYNPROXY suspected', async () => {
    const t = s!.conversations.find((c) => c.mechanism === 'dnat')!;
    const port = t.legs[t.legs.length - 1].tuple.dport!;
    const moved = join(tmp, 'docker0.pcap');
    expect(shiftSeq(s!.perInterface.docker0, moved, port)).toBeGreaterThan(4);
    const r = await analyzeCaptures([s!.perInterface.eth0, moved]);
    const c = r.analysis.correlations.find((x) => x.mechanism === 'dnat');
    expect(c?.legs).toHaveLength(2);
    expect(c!.notes.join(' ')).toMatch(new RegExp(`NAT helper or SYNPROXY suspected.*${OFFSET}`));
    expect(c!.hops[0].fields.find((f) => f.field === 'isn')?.verdict).toBe('shifted');
  });
});

describe.skipIf(!havePcaps)('a constant seq offset on more than one hop (PcapPlusPlus test streams)', () => {
  it('is told once, naming every pair, and the copies are not said to share their sequence numbers', async () => {
    // one_tcp_stream_max_seq is one_tcp_stream with its sequence space moved; the third file
    // drops a packet of it.
    const files = ['one_tcp_stream.pcap', 'one_tcp_stream_max_seq.pcap', 'unidirectional_tcp_stream_with_missing_packet.pcap'].map((f) => join(pcapsDir, 'pcapplusplus', f));
    const r = await analyzeCaptures(files);
    const c = r.analysis.correlations.find((x) => x.legs.length === 3)!;
    expect(c.notes.filter((n) => n.startsWith('NAT helper or SYNPROXY suspected'))).toHaveLength(2);
    const steps = c.explanation.filter((e) => e.startsWith('The TCP sequence numbers differ'));
    expect(steps).toHaveLength(1);
    expect(steps[0]).toContain('between one_tcp_stream and one_tcp_stream_max_seq');
    expect(steps[0]).toContain('between one_tcp_stream_max_seq and unidirectional_tcp_stream_with_missing_packet');
    expect(new Set(c.explanation).size).toBe(c.explanation.length);
    expect(c.explanation[0]).not.toContain('sequence numbers');
  });
});
