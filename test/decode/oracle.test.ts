import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/read/index.js';
import { Packet, decodePacket } from '../../src/decode/index.js';
import { havePcaps, pcapsDir } from '../helpers/paths.js';
import { manifest as readManifest } from '../helpers/pcap-manifest.js';
import { capturesWithOracle } from './captures.js';
import { diffPacket, readOracle } from './tshark-oracle.js';

/**
 * Where natflow and tshark legitimately disagree: capture, frame number, and why. Everything
 * else must match field for field. (Tunnels are compared on their outer packet, which is all
 * natflow decodes: tshark lists outer,inner in repeated fields.)
 */
const KNOWN_DIFFERENCES: Record<string, { frames: number[]; reason: string }> = {
  'zeek/trunc/ip4-trunc.pcap': {
    frames: [1],
    reason: 'IPv4 header cut to 6 bytes: tshark still shows ip.id, natflow needs the fixed 20-byte header',
  },
  'pcapplusplus/ip4_bad_fragment.pcap': {
    frames: [1],
    reason: 'MPLS-carried IPv4 whose IHL (60) overruns the frame: tshark shows its fields anyway, natflow warns',
  },
};

/** Files the reader refuses on purpose; the decoder has nothing to compare. */
const NOT_READ: Record<string, string> = {
  'libpcap/pcap-invalid-version-2.pcap': 'pcap version 2.5: natflow rejects it like libpcap, tshark reads it',
};

describe.skipIf(!havePcaps)('decoder agrees with tshark on the reference captures', () => {
  const captures = havePcaps ? capturesWithOracle() : [];
  const manifestRows = havePcaps ? readManifest() : [];
  it('finds the oracle files', () => {
    expect(captures.length).toBeGreaterThan(50);
  });
  for (const rel of captures) {
    if (NOT_READ[rel]) {
      it.skip(`${rel}: ${NOT_READ[rel]}`, () => {});
      continue;
    }
    it(rel, async () => {
      let rows = readOracle(join(pcapsDir, `${rel}.fields.tsv`));
      const manifest = manifestRows.find((m) => m.path === rel);
      if (manifest && manifest.packets !== manifest.records) {
        // tshark lists pcapng Custom Blocks as frames without timestamp or link layer.
        rows = rows.filter((r) => r['frame.time_epoch'] !== '' || r['eth.src'] !== '');
      }
      const pkt = new Packet();
      const mismatches: string[] = [];
      let n = 0;
      const res = await readCapture(join(pcapsDir, rel), (rec) => {
        decodePacket(pkt, rec.data, rec.linktype, rec.len);
        const row = rows[n++];
        if (!row) return;
        const known = KNOWN_DIFFERENCES[rel];
        if (known?.frames.includes(n)) {
          // Keeps the list honest: a listed difference that went away must be removed.
          if (diffPacket(pkt, row).length === 0) mismatches.push(`frame ${n}: listed as a known difference but agrees`);
          return;
        }
        for (const d of diffPacket(pkt, row)) mismatches.push(`frame ${n}: ${d}`);
      });
      expect(n).toBe(res.records);
      expect(n).toBe(rows.length);
      expect(mismatches.slice(0, 10)).toEqual([]);
    });
  }
});
