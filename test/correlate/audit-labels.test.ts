/**
 * What `natflow analyze` prints about the recorded lab captures, for labels an audit found wrong:
 * the words and numbers a user reads, checked against the packets themselves (tshark's view of
 * the per-interface pcaps) rather than against natflow's own earlier output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Analysis } from '../../src/correlate/model.js';
import { runCli } from '../helpers/run-cli.js';
import { hasCommand, tsharkFields } from '../helpers/tools.js';
import { tempDir } from '../helpers/temp-dir.js';
import { scenariosByNumber } from './truth.js';

const byName = scenariosByNumber();

describe.skipIf(!byName.has('06'))('protocol labels', () => {
  it('names IGMP legs igmp in the text, the Markdown and the JSON, never by protocol number', async () => {
    const dir = byName.get('06')!.dir;
    const text = (await runCli(['analyze', dir])).stdout;
    // Every docker0 capture has an IGMPv3 report to 224.0.0.22 (facts §3).
    const legs = text.split('\n').filter((l) => l.includes('→ 224.0.0.22 ('));
    expect(legs.length).toBeGreaterThan(0);
    for (const l of legs) expect(l).toMatch(/→ 224\.0\.0\.22 \(igmp, f\d+\)/);

    const md = (await runCli(['analyze', '--markdown', dir])).stdout;
    expect(md).not.toMatch(/proto 2\b/);
    expect(md).toMatch(/->>L\d+: IGMP$/m);

    const json = JSON.parse((await runCli(['analyze', '--json', dir])).stdout) as Analysis;
    const igmp = json.flows.filter((f) => f.dst === '224.0.0.22');
    expect(igmp.length).toBeGreaterThan(0);
    for (const f of igmp) expect(f.proto).toBe('igmp');
  });

  it('still counts the IGMP reports as background noise in the summary', async () => {
    const text = (await runCli(['analyze', byName.get('06')!.dir])).stdout;
    expect(text).toMatch(/multicast packet bridged as\s+background noise \(IGMP reports\)/);
  });
});

describe.skipIf(!hasCommand('tshark'))('a userland-proxy hop is timed on the flows it names', () => {
  // The client's connection crossed the container's veth, then the bridge, where the proxy took
  // it; the veth saw each packet some 20 µs earlier than the bridge did.
  const cases = ['05a', '15a', '18'].filter((k) => byName.has(k)).flatMap((k) => {
    const s = byName.get(k)!;
    return s.conversations
      .filter((c) => c.mechanism === 'userland-proxy' && c.legs[0].interfaces.length > 1)
      .map((c) => ({ s, c, client: c.legs.find((l) => l.role === 'client')!, upstream: c.legs.find((l) => l.role === 'upstream')! }));
  });

  it.each(cases.map((x) => [`${x.s.name} ${x.c.id}`, x] as const))('%s: latency and close delay between the bridge copies, as tshark reads them', async (_, { s, client, upstream }) => {
    const bridge = client.interfaces.find((i) => !i.startsWith('veth'))!;
    const files = [...new Set([...client.interfaces, ...upstream.interfaces])].map((i) => s.perInterface[i]);
    // tshark's times (µs) on the bridge of: the first SYN / FIN each connection's client sent.
    const first = (src: string, sport: number | null, flag: 'syn' | 'fin'): number => {
      const rows = tsharkFields(s.perInterface[bridge], `ip.src==${src} && tcp.srcport==${sport} && tcp.flags.${flag}==1`, ['frame.time_epoch']);
      const [sec, frac] = rows[0][0].split('.');
      return Number(sec) * 1e6 + Math.round(Number(`0.${frac}`) * 1e6);
    };
    const synGap = first(upstream.tuple.src, upstream.tuple.sport, 'syn') - first(client.tuple.src, client.tuple.sport, 'syn');
    const finGap = first(upstream.tuple.src, upstream.tuple.sport, 'fin') - first(client.tuple.src, client.tuple.sport, 'fin');

    const json = JSON.parse((await runCli(['analyze', '--json', ...files])).stdout) as Analysis;
    const flowOf = (id: string) => json.flows.find((f) => f.id === id)!;
    const c = json.correlations.find((x) => x.hops.some((h) => h.mechanism === 'userland-proxy' && flowOf(h.from).src === `${client.tuple.src}:${client.tuple.sport}`))!;
    const hop = c.hops.find((h) => h.mechanism === 'userland-proxy')!;
    expect(flowOf(hop.from).iface).toBe(bridge);
    expect(flowOf(hop.to).iface).toBe(bridge);
    expect(hop.latency! * 1e6).toBeCloseTo(synGap, 0);
    const fin = c.evidence.find((e) => e.kind === 'fin')!;
    expect(fin.flows).toEqual([hop.from, hop.to]);
    expect(fin.delay! * 1e6).toBeCloseTo(finGap, 0);

    const text = (await runCli(['analyze', ...files])).stdout.replace(/\s+/g, ' ');
    expect(text).toContain(`, +${(synGap / 1000).toFixed(3)} ms fields:`);
    expect(text).toContain(`client close on ${bridge} (${hop.from}) propagated to ${bridge} (${hop.to}) after ${finGap} µs [fin]`);
    expect(text).toContain(`${synGap} µs after the client's first packet on ${bridge}.`);
  });
});

describe.skipIf(!byName.has('15b') || !hasCommand('tshark'))('a hop without NAT whose frames changed source MAC', () => {
  it('15b: says the TTL did not fall and the source MAC changed, as tshark shows them, neither "bridged" alone nor "routed"', async () => {
    const s = byName.get('15b')!;
    const t = s.conversations.find((c) => c.mechanism === 'dnat')!;
    const server = t.legs[t.legs.length - 1].tuple;
    const port = t.legs[0].tuple.sport;
    const json = JSON.parse((await runCli(['analyze', '--json', s.dir])).stdout) as Analysis;
    const c = json.correlations.find((x) => x.mechanism === 'dnat')!;
    // The DNAT hop before it rewrote the MAC too (the host routed the packet out of docker0).
    const hop = c.hops.find((h) => h.mechanism === 'bridge' && h.fields.some((d) => d.field === 'mac' && d.verdict === 'rewritten'))!;
    expect(hop).toBeDefined();
    const [from, to] = [hop.from, hop.to].map((id) => json.flows.find((f) => f.id === id)!);
    // The first packet (the SYN) as tshark decodes it on each interface's own capture.
    const syn = (iface: string) => tsharkFields(s.perInterface[iface], `tcp.srcport==${port} && ip.dst==${server.dst} && tcp.flags.syn==1`, ['eth.src', 'ip.ttl'])[0];
    const [macA, ttlA] = syn(from.iface);
    const [macB, ttlB] = syn(to.iface);
    expect(ttlA).toBe(ttlB);
    expect(macA).not.toBe(macB);

    expect(hop.rewrite).toBe(`tuple unchanged (TTL unchanged: not routed; source MAC ${macA} → ${macB})`);
    expect(c.evidence.find((e) => e.kind === 'tuple' && e.flows?.[0] === hop.from)?.detail).toMatch(/\(TTL unchanged: not routed; source MAC /);
    const step = c.explanation.find((x) => x.includes('source MAC'))!;
    expect(step).toContain(`Between ${from.iface} and ${to.iface} the TTL stayed ${ttlA}, so the host did not route the packet there`);
    expect(step).toContain(`${macA} on ${from.iface}, ${macB} on ${to.iface}`);
    // The client's own frames (its container's port, the conversation's first capture point) carry macB.
    const [clientMac] = tsharkFields(s.perInterface[t.legs[0].interfaces.find((i) => i.startsWith('veth'))!], `tcp.srcport==${port} && tcp.flags.syn==1`, ['eth.src'])[0];
    expect(clientMac).toBe(macB);
    expect(step).toContain(`the source MAC the client's frames carry on ${t.legs[0].interfaces.find((i) => i.startsWith('veth'))}`);
    expect(c.explanation.join(' ')).not.toMatch(/routed it|without rewriting anything/);

    const text = (await runCli(['analyze', s.dir])).stdout.replace(/\s+/g, ' ');
    expect(text).not.toContain('no rewrite (bridged)');
    expect(text).toContain(`${hop.from} → ${hop.to} bridge: tuple unchanged (TTL unchanged: not routed; source MAC ${macA} → ${macB})`);

    // The -i any capture alone says the same: its cooked headers keep each frame's source MAC.
    const any = JSON.parse((await runCli(['analyze', '--json', '--links', join(s.dir, 'ip-link.txt'), s.any!])).stdout) as Analysis;
    const ca = any.correlations.find((x) => x.mechanism === 'dnat')!;
    const ha = ca.hops.find((h) => h.mechanism === 'bridge' && h.fields.some((d) => d.field === 'mac'))!;
    const ifaceOf = (id: string): string => any.flows.find((f) => f.id === id)!.iface;
    expect([ifaceOf(ha.from), ifaceOf(ha.to)]).toEqual([from.iface, to.iface]);
    expect(ha.rewrite).toBe(`tuple unchanged (TTL unchanged: not routed; source MAC ${macA} → ${macB})`);
  });
});

describe.skipIf(!hasCommand('tshark'))('link-local control traffic is named by the kinds present', () => {
  const tmp = tempDir('natflow-audit-');
  // tshark's count of IGMP packets and of ICMPv6 neighbor discovery (133–137) / MLD (130–132, 143) messages.
  const count = (file: string, filter: string): number => tsharkFields(file, filter, ['frame.number']).length;

  for (const key of ['13', '13b'].filter((k) => byName.has(k))) {
    it(`${key}: an IPv6 capture without IGMP says "neighbor discovery, MLD" in the summary, the Markdown, the report and check`, async () => {
      const s = byName.get(key)!;
      const files = Object.values(s.perInterface);
      expect(files.reduce((n, f) => n + count(f, 'igmp'), 0)).toBe(0);
      const eth0 = s.perInterface.eth0;
      expect(count(eth0, 'icmpv6.type >= 133 && icmpv6.type <= 137')).toBeGreaterThan(0);
      expect(count(eth0, 'icmpv6.type == 143 || (icmpv6.type >= 130 && icmpv6.type <= 132)')).toBeGreaterThan(0);

      const text = (await runCli(['analyze', s.dir])).stdout.replace(/\s+/g, ' ');
      expect(text).toContain('link-local control traffic (neighbor discovery, MLD), never NATed:');
      expect(text).not.toContain('IGMP');
      const md = (await runCli(['analyze', '--markdown', s.dir])).stdout;
      expect(md).toContain('## Link-local control traffic (neighbor discovery, MLD), never NATed');
      expect(md).not.toContain('IGMP');
      const html = join(tmp, `${key}.html`);
      expect((await runCli(['report', s.dir, '-o', html])).code).toBe(0);
      const report = readFileSync(html, 'utf8');
      expect(report).toContain('of neighbor discovery or MLD: on every link, never NATed');
      expect(report).not.toContain('IGMP');
      const exp = join(tmp, 'no-unpaired.yaml');
      writeFileSync(exp, 'global:\n  noUnpaired: true\n');
      const check = (await runCli(['check', '--expect', exp, s.dir])).stdout;
      expect(check).toMatch(/\(\d+ link-local control flows not counted: neighbor discovery, MLD\)/);
    });
  }

  it.skipIf(!byName.has('06'))('06 docker0 alone: its IGMP report is named IGMP, and no neighbor discovery or MLD', async () => {
    const docker0 = byName.get('06')!.perInterface.docker0;
    expect(count(docker0, 'igmp')).toBeGreaterThan(0);
    expect(count(docker0, 'icmpv6')).toBe(0);
    const text = (await runCli(['analyze', docker0])).stdout.replace(/\s+/g, ' ');
    expect(text).toContain('link-local control traffic (IGMP), never NATed: 1 flow on docker0.');
  });
});
