import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/read/index.js';
import { Packet, decodePacket, decodeRecord } from '../../src/decode/index.js';
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

/** Fields holding a byte offset (absolute in pkt.data, -1 absent); all other fields hold values. */
const OFFSET_FIELDS = new Set([
  'end',
  'ethSrcOff',
  'ethDstOff',
  'sllAddrOff',
  'l3Offset',
  'srcOff',
  'dstOff',
  'arpSenderMacOff',
  'arpSenderIpOff',
  'arpTargetMacOff',
  'arpTargetIpOff',
  'l4Offset',
  'innerSrcOff',
  'innerDstOff',
  'payloadOffset',
]);

/** First field where a frame decoded at pkt.start differs from the same bytes decoded at 0. */
function differsWhenMoved(pkt: Packet, alone: Packet): string | null {
  const shift = pkt.start;
  for (const [key, value] of Object.entries(alone)) {
    if (key === 'data' || key === 'start') continue;
    let got: unknown = (pkt as unknown as Record<string, unknown>)[key];
    let want: unknown = OFFSET_FIELDS.has(key) && typeof value === 'number' && value >= 0 ? value + shift : value;
    // Only the first vlanCount / 2 * sackCount entries of these reused arrays are valid.
    if (key === 'vlanIds') [got, want] = [pkt.vlanIds.slice(0, pkt.vlanCount), alone.vlanIds.slice(0, alone.vlanCount)];
    if (key === 'sackBlocks') [got, want] = [pkt.sackBlocks.slice(0, 2 * pkt.sackCount), alone.sackBlocks.slice(0, 2 * alone.sackCount)];
    if (JSON.stringify(got) !== JSON.stringify(want)) return `${key} ${JSON.stringify(got)}, alone ${JSON.stringify(want)}`;
  }
  return null;
}

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
        // Decoded in place in the reader's buffer into the reused packet (what natflow runs), and
        // from a copy of the frame alone into a fresh packet: the two must agree on every field, or
        // something assumes the frame starts at 0 / ends at data.length, or reset() left a field
        // of the previous frame behind.
        decodeRecord(pkt, rec);
        const alone = decodePacket(new Packet(), rec.data.slice(), rec.linktype, rec.len);
        const moved = differsWhenMoved(pkt, alone);
        if (moved) mismatches.push(`frame ${n + 1}: in place vs. alone: ${moved}`);
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
