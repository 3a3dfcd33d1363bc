import { describe, expect, it } from 'vitest';
import { buildLadder, clockOffsetsUs, gapRows, type Ladder, type LadderPacketEvent } from '../../src/present/ladder/index.js';
import { analyze, scenarios } from './scenarios.js';

const all = scenarios();
const byName = (n: string) => all.find((s) => s.name === n)!;

async function ladderOf(name: string, files?: string[]): Promise<{ ladder: Ladder; packets: Map<string, number> }> {
  const sc = byName(name);
  const { analysis, flowMap } = await analyze(files ? files.map((f) => `${sc.dir}/${f}`) : sc.files);
  const c = analysis.correlations.find((x) => x.mechanism !== 'bridge')!;
  const packets = new Map(analysis.captures.map((cap) => [cap.interfaces[0], cap.packets]));
  return { ladder: buildLadder(c, flowMap, { clockOffsetsUs: clockOffsetsUs(analysis) }), packets };
}

function synSeq(l: Ladder, leg: number): number | null {
  const e = l.events.find((x): x is LadderPacketEvent => x.kind === 'packet' && x.leg === leg && x.flags === 'SYN');
  return e ? e.seq : null;
}

describe('ladder model', () => {
  it('kernel DNAT (02): the SYN carries the same raw sequence number on both legs, and the crossing lists the rewritten destination', async () => {
    const { ladder } = await ladderOf('02-external-dnat', ['eth0.pcap', 'docker0.pcap']);
    expect(ladder.legs.map((l) => l.iface)).toEqual(['eth0', 'docker0']);
    const a = synSeq(ladder, 0);
    expect(a).not.toBeNull();
    expect(synSeq(ladder, 1)).toBe(a); // docker-nat-facts §2: NAT keeps the ISN
    const x = ladder.events.find((e) => e.kind === 'crossing');
    expect(x).toMatchObject({ kind: 'crossing', lane: 1, mechanism: 'dnat' });
    const t = byName('02-external-dnat').truth.conversations[0].translation!.dnat!;
    expect(x!.kind === 'crossing' && x!.changed.map((d) => `${d.field} ${d.from} → ${d.to}`)).toContain(`dst-ip ${t.from.ip} → ${t.to.ip}`);
  });

  it("the article's proxy (01): two connections with unrelated ISNs, the hand-off right before the proxy's SYN, lanes client / docker-proxy / container", async () => {
    const { ladder, packets } = await ladderOf('01-localhost-proxy', ['lo.pcap', 'docker0.pcap']);
    expect(ladder.lanes.map((l) => l.title)).toEqual(['client', 'docker-proxy', 'container']);
    const t = byName('01-localhost-proxy').truth.conversations[0];
    expect(ladder.lanes[0].addresses).toEqual([`${t.legs[0].tuple.src}:${t.legs[0].tuple.sport}`]);
    expect(ladder.lanes[2].addresses).toEqual([`${t.legs[1].tuple.dst}:${t.legs[1].tuple.dport}`]);
    expect(synSeq(ladder, 0)).not.toBe(synSeq(ladder, 1));
    const i = ladder.events.findIndex((e) => e.kind === 'crossing');
    expect(ladder.events[i + 1]).toMatchObject({ kind: 'packet', leg: 1, flags: 'SYN' });
    // Every packet of lo.pcap is drawn (12, no limit hit), in time order.
    const onLo = ladder.events.filter((e): e is LadderPacketEvent => e.kind === 'packet' && e.leg === 0).reduce((n, e) => n + e.count, 0);
    expect(onLo).toBe(packets.get('lo'));
    expect(ladder.notes).toEqual([]);
    for (let k = 1; k < ladder.events.length; k++) expect(ladder.events[k].tsUs).toBeGreaterThanOrEqual(ladder.events[k - 1].tsUs);
    // The request line starts the client's first data segment on both legs.
    const http = ladder.events.filter((e): e is LadderPacketEvent => e.kind === 'packet' && e.app !== null && e.dir === 'fwd');
    expect(http.map((e) => [e.leg, e.app])).toEqual([
      [0, `GET /hello.txt?m=${t.marker} HTTP/1.1`],
      [1, `GET /hello.txt?m=${t.marker} HTTP/1.1`],
    ]);
  });

  it('limits packets per leg and says so', async () => {
    const sc = byName('01-localhost-proxy');
    const { analysis, flowMap } = await analyze(['lo.pcap', 'docker0.pcap'].map((f) => `${sc.dir}/${f}`));
    const l = buildLadder(analysis.correlations[0], flowMap, { maxPacketsPerLeg: 5, bursts: false });
    expect(l.events.filter((e) => e.kind === 'packet')).toHaveLength(10);
    // lo.pcap holds this one connection only: all its packets are the leg's.
    const loPackets = analysis.captures.find((c) => c.interfaces.includes('lo'))!.packets;
    expect(l.notes).toHaveLength(2);
    expect(l.notes[0]).toBe(`lo (${l.legs[0].flowId}): first 5 of ${loPackets} packets drawn`);
    expect(l.notes[1]).toMatch(/^docker0 \(f\d+\): first 5 of \d+ packets drawn$/);
  });

  it('time scale: no space for back-to-back packets, more for longer pauses, capped', () => {
    expect(gapRows(0)).toBe(0);
    expect(gapRows(50)).toBe(0);
    const steps = [1e3, 1e4, 1e5, 1e6].map(gapRows);
    for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThan(steps[i - 1]);
    expect(gapRows(3600e6)).toBe(3);
  });
});
