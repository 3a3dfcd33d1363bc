import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { communityIdOf, packetCommunityId } from '../../src/flows/community-id.js';
import { loadCaptures } from '../../src/flows/load-captures.js';
import { pcapsDir as pcaps } from '../helpers/paths.js';
import { eachPacket, readTsv } from './helpers.js';

const dir = path.join(pcaps, 'community-id');

interface BaselineEntry {
  proto: number;
  saddr: string;
  daddr: string;
  sport?: number;
  dport?: number;
  communityid: string;
}

function baseline(name: string): BaselineEntry[] {
  return JSON.parse(readFileSync(path.join(dir, 'expected', name), 'utf8')) as BaselineEntry[];
}

describe('Community ID v1', () => {
  it('matches the vector quoted in the facts document', () => {
    expect(communityIdOf(0, 6, '1.2.3.4', '5.6.7.8', 1122, 3344)).toBe('1:wCb3OG7yAFWelaUydu0D+125CLM=');
    expect(communityIdOf(0, 6, '5.6.7.8', '1.2.3.4', 3344, 1122)).toBe('1:wCb3OG7yAFWelaUydu0D+125CLM=');
  });

  for (const [file, seed, b64] of [
    ['baseline_deflt.json', 0, true],
    ['baseline_seed1.json', 1, true],
    ['baseline_nob64.json', 0, false],
  ] as const) {
    it(`matches every tuple of the spec baseline ${file}`, () => {
      const entries = baseline(file);
      expect(entries.length).toBeGreaterThan(10);
      for (const e of entries) {
        const got = communityIdOf(seed, e.proto, e.saddr, e.daddr, e.sport ?? -1, e.dport ?? -1, b64);
        expect(got, JSON.stringify(e)).toBe(e.communityid);
      }
    });
  }

  const tsvs = readdirSync(path.join(dir, 'pcaps')).filter((f) => f.endsWith('.communityid.tsv'));
  for (const tsv of tsvs) {
    const pcap = tsv.replace(/\.communityid\.tsv$/, '');
    it(`matches tshark on every packet of ${pcap}`, async () => {
      const expected = new Map(readTsv(path.join(dir, 'pcaps', tsv)).map(([n, id]) => [Number(n), id ?? '']));
      const frames = await eachPacket(path.join(dir, 'pcaps', pcap), (pkt, frame) => {
        expect(packetCommunityId(pkt) ?? '', `frame ${frame}`).toBe(expected.get(frame));
      });
      expect(frames).toBe(expected.size);
    });
  }

  for (const pcap of ['icmp.pcap', 'icmp6.pcap', 'combined.pcap']) {
    it(`${pcap}: every Community ID tshark gives a packet is a flow's (a request and its reply are one flow, two hosts' requests two)`, async () => {
      const file = path.join(dir, 'pcaps', pcap);
      const tshark = new Set(readTsv(`${file}.communityid.tsv`).map((r) => r[1]).filter(Boolean));
      const { flows, errors } = await loadCaptures([file]);
      expect(errors).toEqual([]);
      const ours = new Set(flows.map((f) => f.communityId));
      expect([...tshark].filter((id) => !ours.has(id))).toEqual([]);
      for (const id of ours) expect(tshark.has(id), id).toBe(true);
    });
  }

  it('gives every flow the Community ID tshark gives its packets, and honours the seed', async () => {
    const file = path.join(dir, 'pcaps', 'combined.pcap');
    const tshark = new Set(readTsv(`${file}.communityid.tsv`).map((r) => r[1]).filter(Boolean));
    const { flows, errors } = await loadCaptures([file]);
    expect(errors).toEqual([]);
    expect(flows.length).toBeGreaterThan(5);
    for (const f of flows) expect(tshark.has(f.communityId), f.communityId).toBe(true);
    const seeded = await loadCaptures([file], { flowOptions: { communityIdSeed: 1 } });
    const seed1 = new Set(baseline('baseline_seed1.json').map((e) => e.communityid));
    for (const f of seeded.flows) expect(seed1.has(f.communityId), f.communityId).toBe(true);
  });
});
