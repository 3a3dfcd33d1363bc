import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CaptureError, readCapture, type ReadResult } from '../../src/read/index.js';
import { pcapsDir } from '../helpers/paths.js';
// The bench's mulberry32: a failing variant can be reproduced from its seed.
import { prng } from '../../bench/pcap-writer.js';
import { tempDir } from '../helpers/temp-dir.js';

const tmp = tempDir('natflow-prop-');

interface Rec {
  offset: number;
  tsSec: number;
  tsNsec: number;
  caplen: number;
  len: number;
  hex: string;
}

const CASE_TIMEOUT_MS = 5000;

/** Reads a variant; fails the test on any exception, a hang, or an error that is not CaptureError. */
async function readVariant(bytes: Uint8Array, name: string): Promise<{ res: ReadResult; recs: Rec[] }> {
  const p = path.join(tmp, name);
  writeFileSync(p, bytes);
  const recs: Rec[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: read did not finish in ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
  });
  try {
    const res = await Promise.race([
      readCapture(p, (r) => {
        recs.push({ offset: r.offset, tsSec: r.tsSec, tsNsec: r.tsNsec, caplen: r.caplen, len: r.len, hex: Buffer.from(r.data).toString('hex') });
      }),
      timeout,
    ]);
    if (res.error !== null) {
      expect(res.error).toBeInstanceOf(CaptureError);
      expect(res.error.offset).toBeGreaterThanOrEqual(0);
    }
    expect(res.records).toBe(recs.length);
    expect(res.warnings.length).toBeLessThanOrEqual(101);
    return { res, recs };
  } finally {
    clearTimeout(timer);
  }
}

const subjects = [
  { name: 'pcap LE', file: 'tcpdump/print-flags.pcap', gzip: false },
  { name: 'pcap BE', file: 'tcpdump/pptp.pcap', gzip: false },
  { name: 'pcap BE ns', file: 'pcapplusplus/nanosecs_big_endian.pcap', gzip: false },
  { name: 'pcapng 3 sections BE/LE/BE', file: 'pcapng-test-generator/output_be/difficult/test202.pcapng', gzip: false },
  { name: 'pcapng 3 sections LE/BE/LE', file: 'pcapng-test-generator/output_le/difficult/test202.pcapng', gzip: false },
  { name: 'gzip of pcap LE', file: 'tcpdump/print-flags.pcap', gzip: true },
  { name: 'larger pcap (sampled)', file: 'zeek/tcp/timestamp.pcap', gzip: false },
];

function load(s: (typeof subjects)[number]): Uint8Array {
  const raw = readFileSync(path.join(pcapsDir, s.file));
  return s.gzip ? gzipSync(raw) : raw;
}

describe('truncation at every offset', () => {
  it.each(subjects.map((s) => [s.name, s] as const))('%s', async (_n, s) => {
    const bytes = load(s);
    const full = await readVariant(bytes, 'full');
    expect(full.res.error).toBeNull();
    const rssBefore = process.memoryUsage().rss;
    // Every offset for files up to 4 KB; ~1500 evenly spread offsets beyond that.
    const step = bytes.length <= 4096 ? 1 : Math.ceil(bytes.length / 1500);
    let errors = 0;
    for (let cut = 0; cut < bytes.length; cut += step) {
      const { res, recs } = await readVariant(bytes.subarray(0, cut), 'cut');
      // Cutting a file never changes the records before the cut.
      expect(recs).toEqual(full.recs.slice(0, recs.length));
      if (res.error) {
        errors++;
        // (gzip: the error offset is in the decompressed stream, the cut in the compressed one)
        if (!s.gzip) expect(res.error.offset).toBeLessThanOrEqual(cut);
      } else if (!s.gzip) {
        // Without an error the cut must fall exactly between records (or after the header).
        const ends = new Set(full.recs.map((r) => r.offset + r.hex.length / 2));
        const last = recs[recs.length - 1];
        if (last) expect(ends.has(cut) || cut >= last.offset + last.caplen).toBe(true);
      }
    }
    expect(errors).toBeGreaterThan(0);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 2 ** 20);
  }, 120_000);
});

describe('random byte flips (seeded)', () => {
  it.each(subjects.filter((s) => !s.gzip).map((s) => [s.name, s] as const))('%s: 300 variants', async (_n, s) => {
    const bytes = load(s);
    const rssBefore = process.memoryUsage().rss;
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = prng(seed);
      const v = Uint8Array.from(bytes);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < flips; k++) v[Math.floor(rnd() * v.length)] ^= 1 + Math.floor(rnd() * 255);
      const { recs } = await readVariant(v, 'flip');
      // A record costs at least 12 bytes of header in either format.
      expect(recs.length).toBeLessThanOrEqual(Math.ceil(v.length / 12));
    }
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 2 ** 20);
  }, 120_000);
});

/** Block offsets of a pcapng file, walked independently of the reader under test. */
function pcapngBlocks(b: Uint8Array): { offset: number; type: number; le: boolean; len: number }[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const out: { offset: number; type: number; le: boolean; len: number }[] = [];
  let le = true;
  for (let p = 0; p + 12 <= b.length; ) {
    if (dv.getUint32(p, true) === 0x0a0d0d0a) le = dv.getUint32(p + 8, true) === 0x1a2b3c4d;
    const len = dv.getUint32(p + 4, le);
    out.push({ offset: p, type: dv.getUint32(p, le), le, len });
    p += len;
  }
  return out;
}

describe('inflated length fields give a CaptureError at the right place, never an allocation', () => {
  const huge = [0xffffffff, 0x7fffffff, 0x40001];

  it.each(subjects.filter((s) => !s.gzip && s.file.endsWith('.pcap')).map((s) => [s.name, s] as const))(
    '%s: caplen of each record',
    async (_n, s) => {
      const bytes = load(s);
      const full = await readVariant(bytes, 'full');
      const le = bytes[0] === 0xd4 || bytes[0] === 0x4d;
      const rssBefore = process.memoryUsage().rss;
      for (const [i, r] of full.recs.slice(0, 50).entries()) {
        for (const value of huge) {
          const v = Uint8Array.from(bytes);
          new DataView(v.buffer).setUint32(r.offset + 8, value, le);
          const { res, recs } = await readVariant(v, 'caplen');
          expect(recs.length).toBe(i);
          expect(res.error?.offset).toBe(r.offset);
          expect(res.error?.reason).toMatch(/captured length \d+ exceeds the maximum of 262144/);
        }
      }
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 2 ** 20);
    },
    60_000,
  );

  it.each(subjects.filter((s) => s.file.endsWith('.pcapng')).map((s) => [s.name, s] as const))(
    '%s: total length of each block, and the first IDB option length',
    async (_n, s) => {
      const bytes = load(s);
      const full = await readVariant(bytes, 'full');
      const blocks = pcapngBlocks(bytes);
      expect(blocks.length).toBeGreaterThan(20);
      for (const blk of blocks) {
        for (const value of huge) {
          const v = Uint8Array.from(bytes);
          new DataView(v.buffer).setUint32(blk.offset + 4, value, blk.le);
          const { res, recs } = await readVariant(v, 'blocklen');
          expect(res.error, `block at ${blk.offset}`).toBeInstanceOf(CaptureError);
          expect(res.error!.offset).toBe(blk.offset);
          expect(recs).toEqual(full.recs.filter((r) => r.offset < blk.offset));
        }
      }
      const idb = blocks.find((b) => b.type === 1 && b.len > 20)!;
      const v = Uint8Array.from(bytes);
      new DataView(v.buffer).setUint16(idb.offset + 16 + 2, 0xffff, idb.le);
      const { res } = await readVariant(v, 'optlen');
      expect(res.error?.offset).toBe(idb.offset + 16);
      expect(res.error?.reason).toMatch(/option \d+ of length 65535 runs past the end of its block/);
    },
    60_000,
  );
});
