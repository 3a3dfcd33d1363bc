import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatEpoch, readCapture } from '../../src/read/index.js';
import { manifest } from '../helpers/pcap-manifest.js';
import { customBlockFrames, libpcapExpectedErrors, tsharkFrames } from './corpus.js';

interface Seen {
  offset: number;
  tsSec: number;
  tsNsec: number;
  caplen: number;
  len: number;
  spb: boolean;
}

const expectedOpenFailures = libpcapExpectedErrors();
const rows = manifest().filter((r) => !expectedOpenFailures.has(r.path) && !r.tsharkRead.startsWith('unreadable'));

/** tshark prints "%u.%09u" of (secs, nsecs) even when nsecs >= 1e9; this is the total in ns. */
function tsharkTotalNs(s: string): bigint | null {
  const m = /^(\d+)\.(\d+)$/.exec(s);
  return m ? BigInt(m[1]) * 1_000_000_000n + BigInt(m[2]) : null;
}

describe('every readable capture in MANIFEST.tsv', () => {
  it('covers the corpus', () => {
    expect(rows.length).toBeGreaterThan(100);
  });

  it.each(rows.map((r) => [r.path, r] as const))('%s', async (_name, row) => {
    const seen: Seen[] = [];
    const res = await readCapture(row.abs, (rec) => {
      seen.push({
        offset: rec.offset,
        tsSec: rec.tsSec,
        tsNsec: rec.tsNsec,
        caplen: rec.caplen,
        len: rec.len,
        spb: rec.data.length === rec.caplen && rec.tsSec === 0 && rec.tsNsec === 0,
      });
    });
    expect(seen.length).toBe(row.ownWalk);
    expect(res.records).toBe(row.ownWalk);

    const partial = row.tsharkRead.startsWith('partial');
    if (partial) {
      // Cut short on purpose: the records before the cut, then an error that points past them.
      expect(res.error, 'truncated file must report an error').not.toBeNull();
      const last = seen[seen.length - 1];
      expect(res.error!.offset).toBeGreaterThan(last ? last.offset + last.caplen : 0);
      expect(res.error!.offset).toBeLessThan(statSync(row.abs).size);
      expect(res.error!.message).toMatch(/truncated/);
    } else {
      expect(res.error).toBeNull();
    }

    const frames = tsharkFrames(row.abs);
    if (!frames) return;
    // tshark 4.0 counts Custom Blocks as frames; drop them using the generator's block list.
    let packetFrames = frames;
    if (frames.length !== seen.length) {
      const custom = customBlockFrames(row.abs);
      expect(custom, 'tshark frame count differs and no block sequence explains it').not.toBeNull();
      packetFrames = frames.filter((f) => !custom!.has(f.number));
    }
    expect(packetFrames.length).toBe(seen.length);
    const badTs = new Set(res.warnings.filter((w) => /invalid timestamp/.test(w.message)).map((w) => w.offset));
    packetFrames.forEach((f, i) => {
      const r = seen[i];
      const where = `${row.path} frame ${f.number}`;
      expect(r.len, where).toBe(f.len);
      expect(r.caplen, where).toBe(f.capLen);
      if (f.timeEpoch === '') {
        // Simple Packet Blocks carry no timestamp; tshark leaves the field empty.
        expect(r.tsSec * 1e9 + r.tsNsec, where).toBe(0);
      } else if (badTs.has(r.offset)) {
        // Out-of-range fraction: tshark prints it raw; we carry it into the seconds, the same
        // instant. Skipped when tshark's signed 32-bit nanosecond arithmetic wraps (frac*1000 or
        // frac >= 2^31): its printed time is then not the instant the file states.
        const bytes = readFileSync(row.abs);
        const raw = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(r.offset + 4, true);
        const ns = row.format.startsWith('pcap-le-ns') ? raw : raw * 1000;
        if (ns < 2 ** 31) {
          const total = tsharkTotalNs(f.timeEpoch);
          expect(BigInt(r.tsSec) * 1_000_000_000n + BigInt(r.tsNsec), where).toBe(total);
        }
      } else {
        expect(formatEpoch(r.tsSec, r.tsNsec), where).toBe(f.timeEpoch);
      }
    });
  });
});
