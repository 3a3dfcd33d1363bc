import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { repoRoot } from '../helpers/paths.js';

// The recorded "natflow-probe" datagram (127.0.0.1:40123 → 127.0.0.1:9, see test/flows/icmp-errors.test.ts),
// repeated 3 µs apart from 20,000 client addresses: identical payloads in a burst, the relay
// matcher's worst case (every datagram is in every other one's dial window).
function burst(n: number, server: (i: number) => number[]): string {
  const bytes = readFileSync(path.join(repoRoot, 'test/flows/fixtures/udp-port-unreachable-lo.pcap'));
  const datagram = bytes.subarray(24, 24 + 16 + bytes.readUInt32LE(24 + 8));
  const ipAt = 16 + 14;
  expect(datagram[ipAt] >> 4).toBe(4);
  expect(datagram[ipAt + 9]).toBe(17);
  const parts: Buffer[] = [bytes.subarray(0, 24)];
  for (let i = 0; i < n; i++) {
    const r = Buffer.from(datagram);
    r.writeUInt32LE(1_700_000_000, 0);
    r.writeUInt32LE(i * 3, 4);
    Buffer.from([10, 0, (i >> 8) & 255, i & 255]).copy(r, ipAt + 12);
    Buffer.from(server(i)).copy(r, ipAt + 16);
    parts.push(r);
  }
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'natflow-burst-')), 'burst.pcap');
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

async function cpuSeconds<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const before = process.cpuUsage();
  const result = await run();
  const used = process.cpuUsage(before);
  return { result, seconds: (used.user + used.system) / 1e6 };
}

describe('relay matching on bursts of identical datagrams', () => {
  it('20,000 clients sending the same datagram to one server: no relay (a proxy never dials where it accepted), in linear time', async () => {
    const file = burst(20_000, () => [127, 0, 0, 1]);
    const { result, seconds } = await cpuSeconds(() => analyzeCaptures([file]));
    expect(result.errors).toEqual([]);
    expect(result.analysis.flows).toHaveLength(20_000);
    expect(result.analysis.correlations).toHaveLength(0);
    expect(result.analysis.unpaired).toHaveLength(20_000);
    // Every pair was once evaluated and rejected: ~15 s of CPU here. Now one run skipped per end.
    expect(seconds).toBeLessThan(8);
  });

  it('20,000 clients to 20,000 servers: candidates per end are bounded, so the matcher finishes in bounded time and memory', async () => {
    const file = burst(20_000, (i) => [10, 2, (i >> 8) & 255, i & 255]);
    const heapBefore = process.memoryUsage().heapUsed;
    const { result, seconds } = await cpuSeconds(() => analyzeCaptures([file]));
    expect(result.errors).toEqual([]);
    expect(result.analysis.flows).toHaveLength(20_000);
    // Unbounded, this made 2·10^8 candidates (out of memory); bounded, a few seconds.
    expect(seconds).toBeLessThan(15);
    // Whatever gets paired in such a flood says it is a guess, and that the rivals were not all counted.
    const cs = result.analysis.correlations;
    expect(cs.length).toBeGreaterThan(0);
    expect(Math.max(...cs.map((c) => c.confidence))).toBeLessThan(0.7);
    expect(cs[0].evidence.find((e) => e.kind === 'ambiguity')?.detail).toMatch(/^at least \d+ other connections with identical payloads/);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(1024 * 1024 * 1024);
  });
});
