import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapture, type CaptureInterface } from '../../src/read/index.js';
import { setPcapngTime, tsResolution } from '../../src/read/timestamp.js';
import { pcapsDir } from '../helpers/paths.js';
import { manifest } from '../helpers/pcap-manifest.js';
import { libpcapExpectedErrors } from './corpus.js';

const refused = libpcapExpectedErrors();
const good = manifest().filter((r) => !refused.has(r.path) && !r.format.includes('[BAD') && !r.tsharkRead.startsWith('unreadable') && r.format !== 'pcapng-block-fragment (EPB, no SHB)');

describe('interfaces reported per file', () => {
  it.each(good.filter((r) => r.format.startsWith('pcapng')).map((r) => [r.path, r] as const))('%s: one per IDB, per section', async (_n, row) => {
    const seen: CaptureInterface[] = [];
    const res = await readCapture(row.abs, () => undefined, { onInterface: (i) => seen.push(i) });
    const idbs = Number(/IDBx(\d+)/.exec(row.format)?.[1] ?? 0);
    const sections = Number(/\((\d+) sections\)/.exec(row.format)?.[1] ?? 1);
    expect(seen.length).toBe(idbs);
    expect(res.info?.interfaces).toEqual(seen);
    expect(seen.map((i) => i.index)).toEqual(seen.map((_, k) => k));
    if (seen.length > 0) expect(Math.max(...seen.map((i) => i.section)) + 1).toBeLessThanOrEqual(sections);
    // Every link type the MANIFEST walk found is one we report.
    const manifestLinktypes = new Set(row.linktypes.split(/[ ,]+/).map((x) => Number(x.split(':')[0])));
    for (const i of seen) expect(manifestLinktypes.has(i.linktype)).toBe(true);
  });

  it.each(good.filter((r) => r.format.startsWith('pcap-')).map((r) => [r.path, r] as const))('%s: one unnamed interface, index 0', async (_n, row) => {
    const seen: CaptureInterface[] = [];
    const res = await readCapture(row.abs, () => undefined, { onInterface: (i) => seen.push(i) });
    expect(seen.length).toBe(1);
    expect(seen[0]).toMatchObject({ index: 0, section: 0, name: null });
    // '-' = the MANIFEST walk could not read the header (modified format)
    if (/^\d/.test(row.linktypes)) expect(seen[0].linktype).toBe(Number(row.linktypes.split(':')[0]));
    expect(res.info?.interfaces).toEqual(seen);
  });
});

describe('obsolete pcapng Packet Block (type 2)', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'natflow-pb-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads like the EPBs it was derived from (no third-party sample exists)', async () => {
    // In a little-endian file with interface 0, an EPB's u32 interface id is the same bytes as
    // a PB's u16 interface id + u16 drop count (0), so retyping the block is the whole change.
    const abs = path.join(pcapsDir, 'pcapng-test-generator/output_le/basic/test001.pcapng');
    const bytes = Uint8Array.from(readFileSync(abs));
    const dv = new DataView(bytes.buffer);
    let retyped = 0;
    for (let p = 0; p + 12 <= bytes.length; p += dv.getUint32(p + 4, true)) {
      if (dv.getUint32(p, true) === 6 && dv.getUint32(p + 8, true) === 0) {
        dv.setUint32(p, 2, true);
        retyped++;
      }
    }
    expect(retyped).toBe(4);
    const pbFile = path.join(tmp, 'pb.pcapng');
    writeFileSync(pbFile, bytes);
    const collect = async (f: string) => {
      const out: string[] = [];
      const res = await readCapture(f, (r) => out.push(`${r.tsSec}.${r.tsNsec} ${r.caplen} ${r.len} ${Buffer.from(r.data).toString('hex')}`));
      expect(res.error).toBeNull();
      return out;
    };
    expect(await collect(pbFile)).toEqual(await collect(abs));
  });
});

describe('pcapng timestamp conversion is exact', () => {
  /** Reference: plain BigInt arithmetic, floor of units * 1e9 / unitsPerSecond. */
  function reference(high: number, low: number, raw: number, offset: number): [bigint, bigint] {
    const units = (BigInt(high) << 32n) | BigInt(low);
    const per = raw & 0x80 ? 1n << BigInt(raw & 0x7f) : 10n ** BigInt(raw & 0x7f);
    return [units / per + BigInt(offset), (units % per) * 1_000_000_000n / per];
  }

  function rng(seed: number): () => number {
    let x = seed;
    return () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x;
    };
  }

  it('matches BigInt arithmetic for random 64-bit values, decimal and base-2 resolutions, with offsets', () => {
    const next = rng(7);
    const resolutions = [0, 1, 3, 6, 9, 10, 12, 15, 16, 19, 0x80, 0x88, 0x94, 0x97, 0x98, 0xa0, 0xbf];
    const out = { tsSec: 0, tsNsec: 0 };
    let checked = 0;
    for (const raw of resolutions) {
      const res = tsResolution(raw);
      for (let k = 0; k < 400; k++) {
        // Mix small highs (double path) and highs past 2^21 (> 2^53 units: BigInt path).
        const high = k % 2 === 0 ? next() % 0x200000 : next();
        const low = next();
        const offset = k % 3 === 0 ? 0 : (next() % 100000) - 50000;
        setPcapngTime(out, high, low, res, offset);
        const [sec, ns] = reference(high, low, raw, offset);
        if (sec > BigInt(Number.MAX_SAFE_INTEGER)) continue; // beyond what a number can hold exactly
        expect([out.tsSec, out.tsNsec], `res 0x${raw.toString(16)} high ${high} low ${low}`).toEqual([Number(sec), Number(ns)]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });
});
