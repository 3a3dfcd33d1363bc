/**
 * Per-file clock offsets: one interface's capture is shifted by +2.5 s (record headers rewritten
 * in a temporary copy); the offset must be estimated from same-packet matches, reported, and
 * applied before timing decisions, so pairing (including the proxy relays, which rest on timing)
 * still holds.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { checkAgainstTruth, scenarios } from './truth.js';
import { tempDir } from '../helpers/temp-dir.js';

const tmp = tempDir('natflow-clock-');

/** Copies a classic pcap with every record's timestamp moved by `shiftUs` microseconds. */
function shiftPcap(src: string, dst: string, shiftUs: number): void {
  const b = Buffer.from(readFileSync(src));
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const rd = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const wr = (v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const unit = nano ? 1e9 : 1e6;
  const shift = nano ? shiftUs * 1000 : shiftUs;
  let off = 24;
  while (off + 16 <= b.length) {
    const total = rd(off) * unit + rd(off + 4) + shift;
    wr(Math.floor(total / unit), off);
    wr(total % unit, off + 4);
    off += 16 + rd(off + 8);
  }
  writeFileSync(dst, b);
}

const scen = scenarios().find((s) => s.name.startsWith('08-'));

describe.skipIf(!scen)('clock offset between capture files', () => {
  it('estimates a +2.5 s shift of docker0.pcap, reports it and still pairs every conversation', async () => {
    const s = scen!;
    const shifted = join(tmp, 'docker0.pcap');
    shiftPcap(s.perInterface.docker0, shifted, 2_500_000);
    const files = Object.entries(s.perInterface).map(([iface, f]) => (iface === 'docker0' ? shifted : f));
    // The reference clock is the first file with matches: put eth0 first.
    files.sort((a, b) => Number(!basename(a).startsWith('eth0')) - Number(!basename(b).startsWith('eth0')));
    const r = await analyzeCaptures(files);
    const cap = r.analysis.captures.find((c) => c.file === shifted)!;
    expect(cap.clockOffset).not.toBeNull();
    expect(Math.abs(cap.clockOffset! - 2.5)).toBeLessThan(0.001);
    expect(cap.clockOffsetBasis).toMatch(/same-packet match/);
    const said = r.analysis.inferences.find((i) => i.includes(shifted))?.match(/is ([+-]\d+\.\d+) s/);
    expect(said).toBeTruthy();
    expect(Math.abs(Number(said![1]) - 2.5)).toBeLessThan(0.001);
    expect(checkAgainstTruth(s, r.analysis, r.flows, new Set(Object.keys(s.perInterface)))).toEqual([]);
    // Latencies are measured on the corrected clock: eth0 → docker0 is microseconds, not 2.5 s.
    const dnatHops = r.analysis.correlations.flatMap((c) => c.hops).filter((h) => h.mechanism === 'dnat');
    expect(dnatHops.length).toBeGreaterThan(0);
    for (const h of dnatHops) expect(Math.abs(h.latency!)).toBeLessThan(0.01);
  });

  it('leaves files on one host clock alone (offsets under 1 ms are not applied)', async () => {
    const s = scen!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    for (const c of r.analysis.captures) if (c.clockOffset !== null) expect(Math.abs(c.clockOffset)).toBeLessThan(0.001);
    expect(r.analysis.inferences.some((i) => i.startsWith('clock of'))).toBe(false);
  });
});
