/**
 * The stream digest must not depend on segmentation: the correlator pairs two captures of one
 * stream (e.g. a client stream and the proxy's re-segmented copy) by equal digests.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StreamHash } from '../../src/flows/stream-hash.js';
import { StreamReassembler } from '../../src/flows/tcp-reassembly.js';
import { pcapsDir as pcaps } from '../helpers/paths.js';

// Real bytes: PcapPlusPlus's expected reassembly output of a captured HTTP stream.
const stream = new Uint8Array(readFileSync(path.join(pcaps, 'pcapplusplus', 'expected', 'one_tcp_stream_output.txt')));

function digestInChunks(bytes: Uint8Array, sizes: number[]): string {
  const h = new StreamHash();
  let off = 0;
  for (let k = 0; off < bytes.length; k++) {
    const n = Math.min(sizes[k % sizes.length], bytes.length - off);
    h.update(bytes, off, n);
    off += n;
  }
  return h.digest();
}

describe('stream digest', () => {
  it('is the same however the stream is cut into segments', () => {
    expect(stream.length).toBeGreaterThan(1000);
    const whole = digestInChunks(stream, [stream.length]);
    expect(whole).toMatch(/^[0-9a-f]{32}$/);
    for (const sizes of [[1], [3, 5, 7], [15, 16, 17], [1460], [536, 1, 1448]]) {
      expect(digestInChunks(stream, sizes)).toBe(whole);
    }
  });

  it('changes when one byte or the length changes', () => {
    const whole = digestInChunks(stream, [stream.length]);
    const flipped = stream.slice();
    flipped[flipped.length >> 1] ^= 1;
    expect(digestInChunks(flipped, [stream.length])).not.toBe(whole);
    expect(digestInChunks(stream.subarray(0, stream.length - 1), [stream.length])).not.toBe(whole);
  });

  it('a reassembled stream gets the same digest whether or not it outgrew its prefix', () => {
    const feed = (prefixBytes: number, seg: number) => {
      const r = new StreamReassembler({ prefixBytes, maxPendingSegments: 64, maxPendingBytes: 1 << 20, maxGapList: 8 });
      r.setIsn(1000);
      for (let off = 0; off < stream.length; off += seg) {
        const n = Math.min(seg, stream.length - off);
        r.segment(1001 + off, stream, off, n, n, 0);
      }
      r.flush(0);
      return r.digest();
    };
    const all = digestInChunks(stream, [stream.length]);
    expect(feed(1 << 20, 1448)).toBe(all);
    expect(feed(100, 1448)).toBe(all);
    expect(feed(0, 7)).toBe(all);
    expect(feed(129, 128)).toBe(all);
  });
});
