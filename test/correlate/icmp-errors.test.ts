/**
 * Scenario 11: the container's ICMP port unreachable for a DNATed datagram, seen on docker0 (and
 * its bridge port) and, translated back with its quoted header, on eth0. Expected values come
 * from truth.json (derived from the captures with tshark), never from natflow's output.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures, type AnalyzeResult } from '../../src/correlate/analyze.js';
import type { Correlation } from '../../src/correlate/model.js';
import { parseLinksDump } from '../../src/flows/interface-names.js';
import { parseCaptureOptions } from '../../src/cli/capture-options.js';
import { expectedErrorFlows, expectedFlows, scenarios, type Scenario } from './truth.js';
import { planReports } from '../../src/correlate/icmp-errors.js';
import { buildNodes } from '../../src/correlate/conn-node.js';
import { loadCaptures } from '../../src/flows/load-captures.js';

const s = scenarios().find((x) => x.name === '11-udp-closed-port');

function present(r: AnalyzeResult): Set<string> {
  return new Set(r.analysis.captures.flatMap((c) => c.interfaces));
}

const modes: [string, (s: Scenario) => Promise<AnalyzeResult>][] = [
  ['per-interface files', (s) => analyzeCaptures(Object.values(s.perInterface))],
  ['-i any with --links', (s) => analyzeCaptures([s.any!], { ifindexNames: parseLinksDump(readFileSync(join(s.dir, 'ip-link.txt'), 'utf8')) })],
  ['pcapng', (s) => analyzeCaptures([s.pcapng!])],
  ['the whole directory', (s) => analyzeCaptures([s.dir], parseCaptureOptions({}, [s.dir]))],
];

describe.skipIf(s === undefined)('11 ICMP port unreachable joins the DNAT conversation it quotes', () => {
  const t = s!.conversations[0];
  const err = t.icmpErrors![0];
  const inside = err.legs.find((l) => l.quotes === 'egress')!;
  const outside = err.legs.find((l) => l.quotes === 'ingress')!;
  const q = (x: typeof inside.quoted) => `${x.src}:${x.sport} → ${x.dst}:${x.dport}`;

  it.each(modes)('%s: one correlation holds the datagram and every copy of its error; nothing is unpaired', async (_m, run) => {
    const r = await run(s!);
    const ids = expectedFlows(t, r.flows, present(r)).ids;
    const errIds = expectedErrorFlows(err, r.flows, present(r)).ids;
    expect(errIds.size).toBeGreaterThan(0);
    const holding = r.analysis.correlations.filter((c) => c.legs.some((l) => ids.has(l)));
    expect(holding).toHaveLength(1);
    const c = holding[0];
    expect(c.mechanism).toBe('dnat');
    // The error is not a conversation of its own (before: a "bridge" ICMP correlation and an unpaired eth0 flow).
    expect(r.analysis.correlations).toHaveLength(1);
    expect(r.analysis.unpaired).toEqual([]);
    expect(c.icmpErrors).toHaveLength(1);
    const rep = c.icmpErrors![0];
    expect([rep.type, rep.code, rep.name]).toEqual([err.type, err.code, 'port unreachable']);
    expect(new Set([...rep.flows, ...rep.copies.map((x) => x.flow)])).toEqual(errIds);
    // Each copy quotes the leg on its own interface: translated along with the datagram.
    const byId = new Map(r.flows.map((f) => [f.id, f]));
    rep.flows.forEach((id, i) => {
      expect(c.legs).toContain(rep.quotes[i]);
      expect(byId.get(rep.quotes[i])!.iface).toBe(byId.get(id)!.iface);
    });
    // In the order the message travelled: from the container's side to eth0.
    expect(byId.get(rep.flows[rep.flows.length - 1])!.iface).toBe('eth0');
  });

  it.each(modes)('%s: the evidence names the values NAT kept and the translated headers', async (_m, run) => {
    const r = await run(s!);
    const c = r.analysis.correlations[0];
    const ev = c.evidence.filter((e) => e.kind === 'icmp-error').map((e) => e.detail);
    expect(ev).toHaveLength(2);
    expect(ev[0]).toMatch(new RegExp(`^ICMP port unreachable \\(type ${err.type} code ${err.code}\\) from ${inside.src} to ${inside.dst} seen on `));
    expect(ev[0]).toContain(`translated back to ${outside.src} → ${outside.dst}, on eth0`);
    expect(ev[0]).toContain(`${q(inside.quoted)} on `);
    expect(ev[0]).toContain(`${q(outside.quoted)} on eth0`);
    expect(ev[1]).toContain(`outer IP ID ${err.ipId}, quoted IP ID ${err.quotedIpId} and quoted payload`);
  });

  it('writes icmpErrors into analyze --json only where there are some', async () => {
    const r = await analyzeCaptures(Object.values(s!.perInterface));
    const doc = JSON.parse(JSON.stringify(r.analysis)) as { correlations: Correlation[] };
    expect(doc.correlations[0].icmpErrors?.[0].flows.length).toBeGreaterThan(1);
    const other = scenarios().find((x) => x.name === '02-external-dnat');
    if (other) {
      const r2 = await analyzeCaptures(Object.values(other.perInterface));
      expect(JSON.stringify(r2.analysis)).not.toContain('icmpErrors');
    }
  });

  it('without a counterpart for the datagram (eth0 alone) the error is left as before: unpaired, attached to nothing', async () => {
    const r = await analyzeCaptures([s!.perInterface.eth0]);
    const ids = expectedFlows(t, r.flows, present(r)).ids;
    const errIds = expectedErrorFlows(err, r.flows, present(r)).ids;
    expect(ids.size).toBe(1);
    expect(errIds.size).toBe(1);
    expect(r.analysis.correlations.some((c) => c.icmpErrors !== undefined)).toBe(false);
    for (const id of [...ids, ...errIds]) expect(r.analysis.unpaired).toContain(id);
  });

  it('the error seen on one side only (docker0 and its bridge port) still joins, quoting the leg there', async () => {
    const r = await analyzeCaptures([s!.perInterface.docker0, s!.perInterface.veth2f22765]);
    const errIds = expectedErrorFlows(err, r.flows, present(r)).ids;
    expect(r.analysis.correlations).toHaveLength(1);
    const rep = r.analysis.correlations[0].icmpErrors![0];
    expect(new Set(rep.flows)).toEqual(errIds);
    const ev = r.analysis.correlations[0].evidence.filter((e) => e.kind === 'icmp-error');
    expect(ev).toHaveLength(1);
    expect(ev[0].detail).toContain(`quoting ${q(inside.quoted)}: this conversation's tuple there`);
  });
});

describe.skipIf(s === undefined)('11 pairing an error across the NAT rests on what NAT keeps', () => {
  // The recorded error's two sides (docker0 and eth0), as connection nodes.
  async function sides() {
    const files = [s!.perInterface.docker0, s!.perInterface.eth0];
    const { flows } = await loadCaptures(files);
    const { nodes } = buildNodes(flows, new Map(files.map((f, i) => [f, i])));
    const errs = nodes.filter((n) => n.parts[0].icmp?.inner != null);
    expect(errs.map((n) => n.iface).sort()).toEqual(['docker0', 'eth0']);
    return errs.map((n) => ({ nodes: [n], copies: [] }));
  }

  it('the recorded copies are one message', async () => {
    expect(planReports(await sides(), 2_000_000)).toHaveLength(1);
  });

  it('a different quoted IP ID, outer IP ID or quoted payload makes two messages', async () => {
    for (const at of ['quoted-id', 'quoted-payload'] as const) {
      const groups = await sides();
      const f = groups[1].nodes[0].parts[0];
      const p = new Uint8Array(f.fwd.prefix);
      // Quoted IPv4 header: IP ID at bytes 4-5; the payload follows the 8-byte UDP header.
      const i = at === 'quoted-id' ? 5 : (p[0] & 0x0f) * 4 + 8;
      p[i] ^= 0xff;
      f.fwd.prefix = p;
      expect(planReports(groups, 2_000_000), at).toHaveLength(2);
    }
    const groups = await sides();
    const f = groups[1].nodes[0].parts[0];
    const ipIdAt = f.samples.ipIdAt.bind(f.samples);
    f.samples.ipIdAt = (k: number) => ipIdAt(k) ^ 1;
    expect(planReports(groups, 2_000_000), 'outer IP ID').toHaveLength(2);
  });

  it('copies further apart than the window are two messages', async () => {
    const groups = await sides();
    groups[1].nodes[0].t0 += 3_000_000;
    expect(planReports(groups, 2_000_000)).toHaveLength(2);
  });
});
