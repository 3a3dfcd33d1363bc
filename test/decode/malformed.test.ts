import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/read/index.js';
import { Packet, decodePacket } from '../../src/decode/index.js';
import { havePcaps, pcapsDir } from '../helpers/paths.js';
import { manifest as readManifest } from '../helpers/pcap-manifest.js';

describe.skipIf(!havePcaps)('deliberately broken reference captures decode with warnings, never exceptions', () => {
  const rows = havePcaps ? readManifest().filter((r) => r.broken.startsWith('yes')) : [];
  for (const row of rows) {
    it(`${row.path} (${row.broken})`, async () => {
      const pkt = new Packet();
      let packets = 0;
      let warned = 0;
      const res = await readCapture(join(pcapsDir, row.path), (rec) => {
        packets++;
        decodePacket(pkt, rec.data, rec.linktype, rec.len);
        if (pkt.warnings.length > 0) warned++;
      });
      if (packets === 0) {
        // Unreadable as a whole: that is the reader's CaptureError, not a decoder matter.
        expect(res.error ?? res.info).not.toBeNull();
        return;
      }
      // Broken at file level (cut mid-record, bad timestamps) means the reader reports it;
      // broken inside packets means the decoder does.
      expect(warned > 0 || res.error !== null || res.warnings.length > 0).toBe(true);
    });
  }
});

/** Ethernet + IPv4 + TCP, with the given TCP options; the TCP header length covers them. */
function tcpFrame(options: number[], dataOffsetWords?: number): Uint8Array {
  const tcpLen = 20 + options.length;
  const total = 20 + tcpLen;
  const b = new Uint8Array(14 + total);
  b.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00], 0);
  b.set([0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  const t = 34;
  b.set([0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0], t);
  b[t + 12] = (dataOffsetWords ?? tcpLen / 4) << 4;
  b[t + 13] = 0x02;
  b.set([0xff, 0xff], t + 14);
  b.set(options, t + 20);
  return b;
}

describe('hand-built malformed headers', () => {
  const pkt = new Packet();

  it('a TCP option whose length runs past the header is a warning, fields before it survive', () => {
    // MSS ok, then a timestamp option claiming 10 bytes with only 6 left in the header.
    decodePacket(pkt, tcpFrame([2, 4, 0x05, 0xb4, 8, 10, 0, 0, 0, 0, 1, 1]), 1, 54);
    expect(pkt.mss).toBe(1460);
    expect(pkt.tsVal).toBe(-1);
    expect(pkt.sport).toBe(12345);
    expect(pkt.warnings.join()).toMatch(/overruns/);
  });

  it('a zero-length TCP option stops option parsing with a warning instead of looping', () => {
    decodePacket(pkt, tcpFrame([3, 0, 7, 1]), 1, 58);
    expect(pkt.wscale).toBe(-1);
    expect(pkt.warnings.join()).toMatch(/bogus length 0/);
  });

  it('TCP options cut by snaplen keep the fixed header and warn', () => {
    const full = tcpFrame([2, 4, 0x05, 0xb4, 1, 1, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]);
    decodePacket(pkt, full.subarray(0, 14 + 20 + 24), 1, full.length);
    expect(pkt.seq).toBe(1);
    expect(pkt.tcpFlags).toBe(2);
    expect(pkt.mss).toBe(1460);
    expect(pkt.warnings.join()).toMatch(/truncated TCP options/);
  });

  it('a chain of many IPv6 extension headers ends with a warning, not a hang', () => {
    const hops = 40;
    const payload = hops * 8;
    const b = new Uint8Array(40 + payload);
    b.set([0x60, 0, 0, 0, payload >> 8, payload & 0xff, 60, 64], 0);
    // Every destination-options header names another one as its next header.
    for (let i = 0; i < hops; i++) b.set([60, 0, 1, 4, 0, 0, 0, 0], 40 + i * 8);
    decodePacket(pkt, b, 101, b.length);
    expect(pkt.ipVersion).toBe(6);
    expect(pkt.sport).toBe(-1);
    expect(pkt.warnings.length).toBeGreaterThan(0);
  });

  it('an IPv6 extension header running past the capture is a warning', () => {
    const b = new Uint8Array(48);
    b.set([0x60, 0, 0, 0, 0, 64, 0, 64], 0);
    b.set([6, 200], 40); // hop-by-hop claiming (200+1)*8 bytes
    decodePacket(pkt, b, 101, b.length);
    expect(pkt.warnings.join()).toMatch(/truncated IPv6 extension header/);
  });

  it('an unknown link type is a warning', () => {
    decodePacket(pkt, new Uint8Array([1, 2, 3, 4]), 147, 4);
    expect(pkt.warnings).toEqual(['unsupported link type 147']);
  });

  it('nothing escapes decodePacket on random bytes under any supported link type', () => {
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (const lt of [0, 1, 12, 101, 108, 113, 228, 229, 276]) {
      for (let i = 0; i < 500; i++) {
        const b = new Uint8Array(i % 90);
        for (let j = 0; j < b.length; j++) b[j] = rnd();
        if (b.length > 20 && i % 2 === 0) b[lt === 1 ? 14 : lt === 113 ? 16 : lt === 276 ? 20 : lt === 0 || lt === 108 ? 4 : 0] = 0x45;
        expect(() => decodePacket(pkt, b, lt, b.length + (i % 3))).not.toThrow();
        expect(pkt.warnings.every((w) => !w.startsWith('internal decoder error'))).toBe(true);
      }
    }
  });
});
