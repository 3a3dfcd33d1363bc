/**
 * `natflow analyze --match / --mechanism` on the recorded lab captures: which conversations are
 * kept is checked against truth.json (the lab's own record of who talked to whom), never against
 * natflow's unfiltered output.
 */
import { describe, expect, it } from 'vitest';
import type { Analysis } from '../../src/correlate/model.js';
import type { SelectionReport } from '../../src/present/select-conversations.js';
import { runCli } from '../helpers/run-cli.js';
import { haveScenario, readScenarioJson, scenarioCaptures } from '../helpers/scenario-dir.js';
import type { Truth, TruthConversation } from '../helpers/truth.js';

type Selected = Analysis & { selection: SelectionReport };

async function analyzeJson(args: string[]): Promise<Selected> {
  const r = await runCli(['analyze', '--json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Selected;
}

/** Every address and port a conversation's legs show in truth.json. */
function truthEndpoints(c: TruthConversation): string[] {
  return c.legs.flatMap((l) => [`${l.tuple.src}:${l.tuple.sport}`, `${l.tuple.dst}:${l.tuple.dport}`]);
}

describe.skipIf(!haveScenario('04-port-collision'))('analyze --match on 04 (two containers behind MASQUERADE)', () => {
  const files = haveScenario('04-port-collision') ? scenarioCaptures('04-port-collision') : [];
  const truth = haveScenario('04-port-collision') ? readScenarioJson<Truth>('04-port-collision', 'truth.json').conversations : [];

  it('keeps exactly the conversations of the second container, with their flows and the counts', async () => {
    const all = await analyzeJson(files);
    const only = await analyzeJson(['--match', '172.17.0.3', ...files]);
    const expected = truth.filter((c) => c.legs.some((l) => l.tuple.src === '172.17.0.3' || l.tuple.dst === '172.17.0.3'));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(truth.length);
    expect(only.correlations).toHaveLength(expected.length);
    expect(only.selection).toEqual({
      match: ['172.17.0.3'],
      mechanism: null,
      conversations: { shown: expected.length, total: all.correlations.length },
      unpaired: { shown: 0, total: all.unpaired.length },
    });
    // Each kept conversation is listed as in the whole analysis, and its legs' flows are in `flows`.
    const byId = new Map(all.correlations.map((c) => [c.id, c]));
    const flowIds = new Set(only.flows.map((f) => f.id));
    for (const c of only.correlations) {
      expect(c).toEqual(byId.get(c.id));
      for (const id of c.legs) expect(flowIds.has(id), id).toBe(true);
      expect(c.legs.some((id) => only.flows.find((f) => f.id === id)!.src.startsWith('172.17.0.3:'))).toBe(true);
    }
    // The flows are the kept conversations' (legs and copies), summarized as in the whole analysis.
    const allFlows = new Map(all.flows.map((f) => [f.id, f]));
    for (const f of only.flows) expect(f).toEqual(allFlows.get(f.id));
    expect(only.summary.startsWith(all.summary)).toBe(true);
    expect(only.summary).toContain(`Shown below: ${expected.length} of ${all.correlations.length} correlations, those selected by --match 172.17.0.3.`);
  });

  it('several --match must all hold; a port range and --mechanism narrow further', async () => {
    const both = await analyzeJson(['--match', '172.17.0.3', '--match', '198.18.0.1:30000-65535', ...files]);
    // The second container's remapped conversations: in truth.json, its source port left the host
    // as a high port (ICMP has no port and cannot match a port range).
    const expected = truth.filter((c) => {
      const eps = truthEndpoints(c);
      return eps.some((e) => e.startsWith('172.17.0.3:')) && eps.some((e) => e.startsWith('198.18.0.1:') && Number(e.split(':')[1]) >= 30000);
    });
    expect(expected.length).toBeGreaterThan(0);
    expect(both.correlations).toHaveLength(expected.length);
    const udp = await analyzeJson(['--match', ':5353', '--mechanism', 'snat', ...files]);
    expect(udp.correlations.length).toBe(truth.filter((c) => c.proto === 'udp' && truthEndpoints(c).some((e) => e.endsWith(':5353'))).length);
    expect(udp.correlations.length).toBeGreaterThan(0);
    const none = await analyzeJson(['--mechanism', 'dnat', ...files]);
    expect(none.correlations).toEqual([]);
    expect(none.flows).toEqual([]);
  });

  it('the text output says what it shows; bad selectors are one-line errors before any capture is read', async () => {
    const r = await runCli(['analyze', '--match', '172.17.0.3', ...files]);
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\n/g, ' ')).toMatch(/Shown below: \d+ of \d+ correlations, those selected by --match 172\.17\.0\.3\./);
    expect(r.stdout).not.toMatch(/172\.17\.0\.2:40000 → 198\.18\.0\.2/);
    for (const [args, message] of [
      [['--mechanism', 'masquerade'], /--mechanism: unknown mechanism 'masquerade' \(one of userland-proxy, dnat, snat, dnat\+snat, bridge, none/],
      [['--match', '300.1.2.3'], /--match: "300\.1\.2\.3" is not an IP address/],
      [['--match', '10.0.0.1:99999'], /--match: port "99999" is out of range/],
    ] as const) {
      // A capture that does not exist: the selector's error must come first.
      const bad = await runCli(['analyze', ...args, '/nonexistent/capture.pcap']);
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(message);
    }
  });
});

describe.skipIf(!haveScenario('04-port-collision'))('--match by Community ID or pair id on 04', () => {
  it("one side's Community ID (what Zeek logs) selects the whole conversation; its pair id too; flows lists that side", async () => {
    const files = scenarioCaptures('04-port-collision');
    const truth = readScenarioJson<Truth>('04-port-collision', 'truth.json').conversations.filter((c) => c.proto === 'tcp');
    expect(truth.length).toBeGreaterThan(1);
    const all = await analyzeJson(files);
    for (const conv of truth) {
      const outside = conv.legs.find((l) => l.interfaces.includes('eth0'))!.tuple;
      const inside = conv.legs.find((l) => l.interfaces.includes('docker0'))!.tuple;
      // The outside side as a log of eth0 would record it.
      const flow = all.flows.find((f) => f.iface === 'eth0' && f.proto === 'tcp' && f.src === `${outside.src}:${outside.sport}` && f.dst === `${outside.dst}:${outside.dport}`)!;
      expect(flow, conv.id).toBeDefined();
      const byCid = await analyzeJson(['--match', flow.communityId, ...files]);
      expect(byCid.correlations, conv.id).toHaveLength(1);
      const c = byCid.correlations[0];
      expect(c.legs).toContain(flow.id);
      // The same conversation inside: the container's tuple, from truth.json.
      const legFlows = c.legs.map((id) => byCid.flows.find((f) => f.id === id)!);
      expect(legFlows.some((f) => f.iface === 'docker0' && f.src === `${inside.src}:${inside.sport}` && f.dst === `${inside.dst}:${inside.dport}`), conv.id).toBe(true);
      expect(c.communityIds).toContain(flow.communityId);
      const byPair = await analyzeJson(['--match', c.pairId, ...files]);
      expect(byPair.correlations.map((x) => x.id)).toEqual([c.id]);
      expect(byPair.selection.match).toEqual([c.pairId]);
    }
    // flows --match: every flow of that side (one tuple, any interface), nothing else.
    const conv = truth[0];
    const outside = conv.legs.find((l) => l.interfaces.includes('eth0'))!.tuple;
    const cid = all.flows.find((f) => f.iface === 'eth0' && f.src === `${outside.src}:${outside.sport}` && f.dst === `${outside.dst}:${outside.dport}`)!.communityId;
    const r = await runCli(['flows', '--json', '--match', cid, ...files]);
    expect(r.code).toBe(0);
    const listed = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { src: string; dst: string; communityId: string });
    expect(listed.length).toBeGreaterThan(0);
    for (const f of listed) expect([f.src, f.dst].sort()).toEqual([`${outside.src}:${outside.sport}`, `${outside.dst}:${outside.dport}`].sort());
    // A pair id names a conversation, not a flow: one line, exit 2.
    const bad = await runCli(['flows', '--match', all.correlations[0].pairId, ...files]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/is a pair id .*analyze --match/);
  });
});

describe.skipIf(!haveScenario('04-port-collision'))('report --match on 04', () => {
  it('draws only the selected conversations and says how many the capture has', async () => {
    const files = scenarioCaptures('04-port-collision');
    const truth = readScenarioJson<Truth>('04-port-collision', 'truth.json').conversations;
    const expected = truth.filter((c) => truthEndpoints(c).some((e) => e.startsWith('172.17.0.3:')));
    const r = await runCli(['report', '--match', '172.17.0.3', ...files]);
    expect(r.code).toBe(0);
    const sections = r.stdout.match(/<section class="correlation"[^>]*>/g) ?? [];
    expect(sections).toHaveLength(expected.length);
    for (const s of sections) expect(s).toContain('172.17.0.3');
    expect(r.stdout).toContain(`Shown below: ${expected.length} of ${truth.length} correlations, those selected by --match 172.17.0.3.`);
    expect(r.stdout).toMatch(/\d+ flows in the conversations shown\./);
    const bad = await runCli(['report', '--mechanism', 'nat', ...files]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
  });
});

describe.skipIf(!haveScenario('04-port-collision'))('flows --match on 04', () => {
  it('lists exactly the flows with a matching source or destination', async () => {
    const files = scenarioCaptures('04-port-collision');
    const lines = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as { id: string; src: string; dst: string; proto: string });
    const all = await runCli(['flows', '--json', ...files]);
    expect(all.code).toBe(0);
    for (const [args, keep] of [
      [['--match', '172.17.0.3'], (e: string) => e.startsWith('172.17.0.3:') || e === '172.17.0.3'],
      [['--match', ':8080'], (e: string) => e.endsWith(':8080')],
      [['--match', '198.18.0.1:30000-65535'], (e: string) => e.startsWith('198.18.0.1:') && Number(e.split(':')[1]) >= 30000],
    ] as const) {
      const r = await runCli(['flows', '--json', ...args, ...files]);
      expect(r.code).toBe(0);
      const expected = lines(all.stdout).filter((f) => keep(f.src) || keep(f.dst)).map((f) => f.id);
      expect(expected.length, args.join(' ')).toBeGreaterThan(0);
      expect(lines(r.stdout).map((f) => f.id), args.join(' ')).toEqual(expected);
    }
    const bad = await runCli(['flows', '--match', '1.2.3.4:x', ...files]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/flows: --match: "x" is not a port/);
  });
});

describe.skipIf(!haveScenario('07-host-network'))('analyze --mechanism none (07 host networking)', () => {
  it('lists the unpaired flows only', async () => {
    const files = scenarioCaptures('07-host-network');
    const all = await analyzeJson(files);
    const r = await analyzeJson(['--mechanism', 'none', ...files]);
    expect(all.unpaired.length).toBeGreaterThan(0);
    expect(r.unpaired).toEqual(all.unpaired);
    expect(r.correlations).toEqual([]);
    expect(r.flows.map((f) => f.id)).toEqual(all.unpaired);
  });
});
