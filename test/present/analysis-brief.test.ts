/**
 * `natflow analyze --brief`: a line per conversation, for busy hosts, grep and CI logs. It must
 * say what the full output says (the same conversations, mechanisms, confidence, capture points
 * and tuples, the rewrites between them), on one line each, and nothing from a capture may reach
 * the terminal unsanitized.
 */
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { parseCaptureOptions } from '../../src/cli/capture-options.js';
import { analysisBriefChunks } from '../../src/present/analysis-brief.js';
import { plainCorrelation } from '../../src/correlate/lazy-correlation.js';
import { runCli } from '../helpers/run-cli.js';
import { scenarios } from '../correlate/truth.js';

const whole = scenarios().filter((s) => s.snaplen === null);

describe('analyze --brief on every recorded scenario', () => {
  it.each(whole.map((s) => [s.name, s] as const))('%s: a line per conversation, as the full analysis has it', async (_name, s) => {
    const r = await analyzeCaptures([s.dir], parseCaptureOptions({}, [s.dir]));
    const text = [...analysisBriefChunks(r.analysis, r.flowsById, { color: false })].join('');
    const lines = text.split('\n').filter((l) => l !== '');
    const byId = new Map(lines.filter((l) => !l.startsWith('#')).map((l) => [l.split(/ +/)[0], l]));
    expect(lines[0]).toBe(`# natflow analysis: ${r.analysis.summary}`);
    expect(byId.size).toBe(r.analysis.correlations.length + r.analysis.unpaired.length);
    for (const lazy of r.analysis.correlations) {
      const c = plainCorrelation(lazy);
      const line = byId.get(c.id)!;
      expect(line.split(/ +/).slice(1, 3)).toEqual([c.mechanism, c.confidence.toFixed(2)]);
      // Every capture point and tuple of every leg, in path order, with each rewrite between them.
      let at = 0;
      for (const id of c.legs) {
        const f = r.flowsById.get(id)!;
        const iface = line.indexOf(f.iface, at);
        expect(iface, `${c.id} ${id} on ${f.iface}`).toBeGreaterThanOrEqual(0);
        at = iface;
      }
      const summaries = new Map(r.analysis.flows.map((f) => [f.id, f]));
      for (const id of c.legs) expect(line).toContain(`${summaries.get(id)!.src} → ${summaries.get(id)!.dst}`);
      const rewrites = c.hops.filter((h) => h.mechanism !== 'bridge').map((h) => `=${h.mechanism}=>`);
      expect(line.match(/=[a-z+-]+=>/g) ?? []).toEqual(rewrites);
      // A rewrite on no hop (DNAT in nat OUTPUT, 14) is said where the path starts.
      const local = c.notes.some((n) => n.startsWith('DNAT in nat OUTPUT inferred'));
      expect(line.includes('  (DNAT in nat OUTPUT, on no capture point) '), c.id).toBe(local);
    }
    for (const id of r.analysis.unpaired) expect(byId.get(id)).toMatch(/^f\d+ +(unpaired|link-local) /);
    expect(lines.filter((l) => l.startsWith('# ')).slice(1)).toEqual(r.analysis.inferences.map((i) => `# ${i}`));
  });
});

describe('natflow analyze --brief (CLI)', () => {
  it('one line per conversation of the bundled sample; not with --json or --markdown', async () => {
    const r = await runCli(['analyze', '--brief']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# natflow analysis: 1 conversation: 1 through the userland proxy\.\nc1 +userland-proxy +0\.\d\d +lo 127\.0\.0\.1:\d+ → 127\.0\.0\.1:5000 =userland-proxy=> docker0 172\.17\.0\.1:\d+ → 172\.17\.0\.2:5000 \[HTTP GET \S+ 200\]\n/);
    for (const other of ['--json', '--markdown']) {
      const bad = await runCli(['analyze', '--brief', other]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(`natflow: analyze: give one of --json, --markdown and --brief, not ${other === '--json' ? '--json and --brief' : '--markdown and --brief'}\n`);
    }
  });
});
