/**
 * What `natflow analyze` prints about the recorded lab captures, for labels an audit found wrong:
 * the words and numbers a user reads, checked against the packets themselves (tshark's view of
 * the per-interface pcaps) rather than against natflow's own earlier output.
 */
import { describe, expect, it } from 'vitest';
import type { Analysis } from '../../src/correlate/model.js';
import { runCli } from '../helpers/run-cli.js';
import { scenarios } from './truth.js';

const byName = new Map(scenarios().map((s) => [s.name.replace(/-.*/, ''), s]));

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
