/**
 * The structured side of each piece of evidence (`flows`, `values`, `count`, `delay`): what a
 * pipeline asserts on instead of parsing the sentence. Every value is checked against tshark's
 * decode of the lab captures and their truth.json, never against natflow's own flow records.
 */
import { hasCommand, tsharkFields } from '../helpers/tools.js';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import type { Correlation, Evidence } from '../../src/correlate/model.js';
import type { Flow } from '../../src/flows/flow.js';
import { expectedFlows, type Scenario, scenarios, scenariosByNumber, type TruthConversation } from './truth.js';
import type { TruthTuple } from '../helpers/truth.js';

const hasTshark = hasCommand('tshark');

const byName = scenariosByNumber();

interface Frame {
  time: number;
  seq: number;
  ttl: number;
  len: number;
  flags: number;
  /** Source endpoint, ip:port: on lo both directions have the same address. */
  src: string;
}

/** tshark's view of one TCP conversation in one file (raw sequence numbers, not relative). */
function tsharkFrames(file: string, t: TruthTuple): Frame[] {
  const filter = `ip.addr==${t.src} && ip.addr==${t.dst} && tcp.port==${t.sport} && tcp.port==${t.dport}`;
  return tsharkFields(file, filter, ['frame.time_epoch', 'tcp.seq_raw', 'ip.ttl', 'tcp.len', 'tcp.flags', 'ip.src', 'tcp.srcport']).map(([time, seq, ttl, len, flags, ip, port]) => ({
    time: Number(time),
    seq: Number(seq),
    ttl: Number(ttl),
    len: Number(len),
    flags: Number.parseInt(flags, 16),
    src: `${ip}:${port}`,
  }));
}

const SYN = 0x02;
const ACK = 0x10;
const syn = (fs: Frame[]) => fs.find((f) => (f.flags & (SYN | ACK)) === SYN)!;
const synAck = (fs: Frame[]) => fs.find((f) => (f.flags & (SYN | ACK)) === (SYN | ACK))!;

function correlationOf(c: readonly Correlation[], flows: readonly Flow[], present: Set<string>, t: TruthConversation): Correlation {
  const { ids } = expectedFlows(t, flows, present);
  const hit = c.find((x) => x.legs.some((l) => ids.has(l)));
  if (!hit) throw new Error(`${t.id}: no correlation`);
  return hit;
}

function tupleText(t: TruthTuple): string {
  return `${t.src}:${t.sport} → ${t.dst}:${t.dport}`;
}

async function analyzed(s: Scenario) {
  const r = await analyzeCaptures(Object.values(s.perInterface));
  const present = new Set(r.analysis.captures.flatMap((c) => c.interfaces));
  return { r, present };
}

describe.skipIf(!hasTshark || !byName.has('02'))('evidence values of a DNAT hop (02) against tshark', () => {
  it('isn, ttl, tuple and packets name the hop\'s two flows and carry the values tshark decodes on each interface', async () => {
    const s = byName.get('02')!;
    const { r, present } = await analyzed(s);
    const t = s.conversations.find((x) => x.mechanism === 'dnat')!;
    const c = correlationOf(r.analysis.correlations, r.flows, present, t);
    const hop = c.hops[0];
    const ifaceOf = (id: string) => r.flows.find((f) => f.id === id)!.iface;
    expect([ifaceOf(hop.from), ifaceOf(hop.to)]).toEqual(['eth0', 'docker0']);
    const outer = t.legs.find((l) => l.interfaces.includes('eth0'))!.tuple;
    const inner = t.legs.find((l) => l.interfaces.includes('docker0'))!.tuple;
    const eth = tsharkFrames(s.perInterface.eth0, outer);
    const dock = tsharkFrames(s.perInterface.docker0, inner);
    const on = (kind: string) => c.evidence.filter((e) => e.kind === kind && e.flows?.[0] === hop.from && e.flows[1] === hop.to);

    const isn = on('isn');
    expect(isn.map((e) => e.values)).toEqual([
      [syn(eth).seq, syn(dock).seq],
      [synAck(eth).seq, synAck(dock).seq],
    ]);
    expect(syn(eth).seq).toBe(syn(dock).seq);
    expect(on('ttl')[0].values).toEqual([syn(eth).ttl, syn(dock).ttl]);
    expect(on('ttl')[0].values![1]).toBe(Number(on('ttl')[0].values![0]) - 1);
    expect(on('tuple')[0].values).toEqual([tupleText(outer), tupleText(inner)]);
    // Every packet of this connection crossed both capture points, so every one matched.
    expect(eth.length).toBe(dock.length);
    const packets = on('packets')[0];
    expect(packets.count).toBe(eth.length);
    // The copy delay is a median over the packets: between the smallest and largest one seen.
    const gaps = eth.map((f, i) => dock[i].time - f.time);
    expect(packets.delay!).toBeGreaterThanOrEqual(Math.min(...gaps) - 1e-6);
    expect(packets.delay!).toBeLessThanOrEqual(Math.max(...gaps) + 1e-6);
  });
});

describe.skipIf(!hasTshark || !byName.has('01'))('evidence values of a userland-proxy hop (01) against tshark', () => {
  it('payload evidence counts the bytes tshark sees each way on both connections; the dial delay is SYN-ACK on lo to SYN on docker0', async () => {
    const s = byName.get('01')!;
    const { r, present } = await analyzed(s);
    const t = s.conversations.find((x) => x.mechanism === 'userland-proxy')!;
    const c = correlationOf(r.analysis.correlations, r.flows, present, t);
    const hop = c.hops.find((h) => h.mechanism === 'userland-proxy')!;
    const client = t.legs.find((l) => l.role !== 'upstream')!.tuple;
    const upstream = t.legs.find((l) => l.role === 'upstream')!.tuple;
    const lo = tsharkFrames(s.perInterface.lo, client);
    const dock = tsharkFrames(s.perInterface.docker0, upstream);
    const bytes = (fs: Frame[], from: string) => fs.filter((f) => f.src === from).reduce((n, f) => n + f.len, 0);
    const payload = c.evidence.filter((e) => e.kind === 'payload');
    expect(payload).toHaveLength(2);
    const [up, down] = payload as [Evidence, Evidence];
    expect(up.flows).toEqual([hop.from, hop.to]);
    expect(down.flows).toEqual([hop.to, hop.from]);
    expect(up.count).toBe(bytes(lo, `${client.src}:${client.sport}`));
    expect(up.count).toBe(bytes(dock, `${upstream.src}:${upstream.sport}`));
    expect(down.count).toBe(bytes(dock, `${upstream.dst}:${upstream.dport}`));
    expect(down.count).toBe(bytes(lo, `${client.dst}:${client.dport}`));
    for (const e of payload) expect(e.values![0]).toBe(e.values![1]);
    expect(up.values![0]).not.toBe(down.values![0]);

    const timing = c.evidence.find((e) => e.kind === 'timing' && e.flows?.[0] === hop.from)!;
    expect(timing.values).toEqual([tupleText(client), tupleText(upstream)]);
    expect(timing.delay!).toBeCloseTo(syn(dock).time - synAck(lo).time, 5);
    const isn = c.evidence.find((e) => e.kind === 'isn' && e.flows?.[0] === hop.from)!;
    expect(isn.values).toEqual([syn(lo).seq, syn(dock).seq]);
    expect(isn.values![0]).not.toBe(isn.values![1]);
  });
});

describe('evidence that compares two legs names two legs of its own conversation', () => {
  for (const s of scenarios()) {
    it(s.name, async () => {
      const { r } = await analyzed(s);
      for (const c of r.analysis.correlations) {
        const legs = new Set([...c.legs, ...c.copies.map((x) => x.flow), ...(c.icmpErrors ?? []).flatMap((x) => x.flows)]);
        const hopPairs = new Set(c.hops.flatMap((h) => [`${h.from} ${h.to}`, `${h.to} ${h.from}`]));
        for (const e of c.evidence) {
          if (e.flows === undefined) continue;
          for (const id of e.flows) expect(legs, `${c.id} ${e.kind} ${id}`).toContain(id);
          if (e.kind !== 'icmp-error') expect(hopPairs, `${c.id} ${e.kind}`).toContain(e.flows.join(' '));
          if (e.values !== undefined) expect(e.values).toHaveLength(2);
          if (e.delay !== undefined) expect(Number.isFinite(e.delay)).toBe(true);
        }
      }
    });
  }
});
