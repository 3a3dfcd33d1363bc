import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureError, readCapture } from '../../src/read/index.js';
import { pcapsDir } from '../helpers/paths.js';
import { manifest } from '../helpers/pcap-manifest.js';
import { libpcapExpectedErrors } from './corpus.js';

const expected = libpcapExpectedErrors();

async function readAll(abs: string) {
  const offsets: number[] = [];
  const linktypes: number[] = [];
  const res = await readCapture(abs, (rec) => {
    offsets.push(rec.offset);
    linktypes.push(rec.linktype);
  });
  return { res, offsets, linktypes };
}

describe("libpcap's deliberately bad files are refused, with libpcap's meaning", () => {
  it('has the expected-error list', () => {
    expect(expected.size).toBe(6);
  });

  it.each([...expected].map(([file, err]) => [file, err] as const))('%s', async (file, libpcapError) => {
    const abs = path.join(pcapsDir, file);
    const { res } = await readAll(abs);
    expect(res.error).toBeInstanceOf(CaptureError);
    expect(res.records).toBe(0);
    expect(res.info).toBeNull();
    expect(res.error!.file).toBe(abs);
    const why = libpcapError.replace(/^Failed opening: /, '');
    const version = /savefile version (\d+\.\d+)/.exec(why);
    const reserved = /reserved field not zero \((0x[0-9a-f]+)\)/.exec(why);
    const mismatch = /header (\d+) and trailer (\d+) don't match/.exec(why);
    if (version) {
      const kind = file.endsWith('.pcapng') ? 'pcapng' : 'pcap';
      expect(res.error!.reason).toBe(`unsupported ${kind} savefile version ${version[1]}`);
    } else if (reserved) {
      expect(res.error!.reason).toContain(`reserved field not zero (${reserved[1]})`);
    } else if (mismatch) {
      // libpcap reads the SHB in two steps and reports 32 for the header side; the trailer
      // value is the one that is wrong and must be named.
      expect(res.error!.reason).toMatch(/block total length in header \d+ and trailer \d+ don't match/);
      expect(res.error!.reason).toContain(`trailer ${mismatch[2]}`);
      expect(res.error!.offset).toBe(0);
    } else {
      throw new Error(`unclassified libpcap error: ${libpcapError}`);
    }
  });
});

describe('other files marked broken in MANIFEST', () => {
  const rows = manifest().filter((r) => r.broken.startsWith('yes') && !expected.has(r.path));

  it('rusticata err-eof.bin (an EPB fragment, no SHB) is named as an unknown format by its first bytes', async () => {
    const abs = path.join(pcapsDir, 'rusticata-pcap-parser/err-eof.bin');
    const { res } = await readAll(abs);
    const head = [...readFileSync(abs).subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    expect(res.error?.reason).toContain(head);
    expect(res.error?.message).toMatch(/^.*err-eof\.bin: not a pcap, pcapng or gzip file/);
  });

  it.each(rows.filter((r) => /invalid ts fraction/.test(r.broken)).map((r) => [r.path, r] as const))(
    '%s warns once per record whose sub-second field is out of range, and keeps reading',
    async (_n, row) => {
      const { res, offsets } = await readAll(row.abs);
      expect(res.error).toBeNull();
      const bytes = readFileSync(row.abs);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const limit = row.format.startsWith('pcap-le-ns') ? 1e9 : 1e6;
      const bad = offsets.filter((o) => dv.getUint32(o + 4, true) >= limit);
      expect(bad.length).toBeGreaterThan(0);
      const warned = res.warnings.filter((w) => /invalid timestamp/.test(w.message)).map((w) => w.offset);
      expect(warned).toEqual(bad);
    },
  );

  it('FCS bits in the pcap link type field are masked off, as libpcap does (heapoverflow-tcp_print.pcap)', async () => {
    const abs = path.join(pcapsDir, 'tcpdump/heapoverflow-tcp_print.pcap');
    const raw = readFileSync(abs).readUInt32LE(20);
    expect(raw >>> 16).not.toBe(0);
    const { res, linktypes } = await readAll(abs);
    expect(res.error).toBeNull();
    expect(linktypes).toEqual([raw & 0xffff]);
    expect(res.info!.interfaces[0].linktype).toBe(raw & 0xffff);
  });

  it('a record longer than the file snaplen is delivered with a warning (libpcap and tshark accept it)', async () => {
    const abs = path.join(pcapsDir, 'zeek/trunc/trunc-hdr.pcap');
    const { res } = await readAll(abs);
    expect(res.error).toBeNull();
    expect(res.records).toBe(1);
    expect(res.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/exceeds the file's snaplen 1/)]);
  });

  it.each(rows.filter((r) => r.tsharkRead.startsWith('partial')).map((r) => [r.path, r] as const))(
    '%s (cut short) says where the truncated unit starts',
    async (_n, row) => {
      const { res, offsets } = await readAll(row.abs);
      expect(res.error).toBeInstanceOf(CaptureError);
      expect(res.error!.reason).toMatch(/^truncated (record header|record|Enhanced Packet Block)/);
      // The fault is the unit right after the last delivered record: its header starts past it.
      expect(res.error!.offset).toBeGreaterThan(offsets[offsets.length - 1]);
      expect(res.error!.message).toBe(`${row.abs}: ${res.error!.reason} at byte ${res.error!.offset}`);
    },
  );
});
