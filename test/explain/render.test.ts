import { describe, expect, it } from 'vitest';
import { explainCorrelation, summarizeAnalysis } from '../../src/explain/index.js';
import { renderAnalysisText } from '../../src/present/analysis-text.js';
import { renderAnalysisMarkdown } from '../../src/present/analysis-markdown.js';
import { analysisBriefChunks } from '../../src/present/analysis-brief.js';
import { wrapText, wrapTextBlock } from '../../src/present/wrap-text.js';
import type { Analysis, FlowSummary } from '../../src/correlate/model.js';
import type { Flow } from '../../src/flows/flow.js';
import { loadScenario } from './scenario.js';

const HOSTILE_PATH = '/\x1b[2J\x1b]0;owned\x07index\x9b31m.html\x7f';

function summary(f: Flow): FlowSummary {
  return {
    id: f.id, iface: f.iface, proto: f.proto === 6 ? 'tcp' : f.proto === 17 ? 'udp' : 'icmp',
    src: `${f.src.ip}:${f.src.port}`, dst: `${f.dst.ip}:${f.dst.port}`, communityId: f.communityId,
    firstTs: (f.firstUs / 1e6).toFixed(6), lastTs: (f.lastUs / 1e6).toFixed(6),
    packets: f.fwd.packets + f.rev.packets, bytes: f.fwd.bytes + f.rev.bytes, state: f.state, app: null,
  };
}

async function analysisOf(name: string): Promise<{ a: Analysis; flows: Map<string, Flow> }> {
  const s = await loadScenario(name);
  const correlations = s.correlations.map((c) => ({ ...c, explanation: explainCorrelation(c, s.flows, { capturedIfaces: s.ifaces }) }));
  const used = new Set(correlations.flatMap((c) => c.legs));
  const a: Analysis = {
    version: 'test', captures: [], flows: [...s.flows.values()].map(summary), correlations,
    unpaired: [...s.flows.keys()].filter((id) => !used.has(id)), summary: '', inferences: [],
  };
  a.summary = summarizeAnalysis(a);
  return { a, flows: s.flows };
}

describe('renderAnalysisText', () => {
  it('scenario 01 at 80 columns: summary, legs, explanation; no line wider than 80; no colour when off', async () => {
    const { a, flows } = await analysisOf('01-localhost-proxy');
    const t = renderAnalysisText(a, flows, { color: false, width: 80 });
    for (const line of t.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(t).toContain('1 conversation: 1 through the userland proxy');
    expect(t).toMatch(/1\. lo +127\.0\.0\.1:\d+ → 127\.0\.0\.1:5000/);
    expect(t).toMatch(/2\. docker0 +172\.17\.0\.1:\d+ → 172\.17\.0\.2:5000/);
    expect(t).toContain('userland proxy (docker-proxy)');
    expect(t).not.toContain('\x1b');
    // Sections in order: summary, correlation, unpaired.
    const iC = t.indexOf('s01-c1');
    const iU = t.indexOf('Unpaired flows');
    expect(iC).toBeGreaterThan(0);
    if (iU >= 0) expect(iU).toBeGreaterThan(iC);
  });

  it('colour only when asked', async () => {
    const { a, flows } = await analysisOf('02-external-dnat');
    expect(renderAnalysisText(a, flows, { color: true, width: 80 })).toContain('\x1b[');
  });

  it('strips escape sequences from capture text (an HTTP path) and from evidence', async () => {
    const { a, flows } = await analysisOf('07-host-network');
    const f = a.flows.find((x) => x.iface === 'lo')!;
    f.app = { http: { method: 'GET', path: HOSTILE_PATH, status: 200 } };
    a.correlations = [];
    a.unpaired = [f.id];
    a.inferences = [`evidence quoting ${HOSTILE_PATH}`];
    const t = renderAnalysisText(a, flows, { color: false, width: 80 });
    expect(t.replace(/\n +/g, ' ')).toContain('[HTTP GET /index.html 200]');
    expect(t).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    const m = renderAnalysisMarkdown(a, flows);
    expect(m).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    const brief = [...analysisBriefChunks(a, flows, { color: false })].join('');
    expect(brief).toContain('[HTTP GET /index.html 200]');
    expect(brief).toContain('# evidence quoting /index.html');
    expect(brief).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });
});

describe('wrapText', () => {
  it('wraps with a hanging indent and cuts words longer than a line', () => {
    const lines = wrapText('alpha beta gamma delta epsilon ' + 'x'.repeat(100), 30, '  1. ');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(30);
    expect(lines[0].startsWith('  1. alpha')).toBe(true);
    expect(lines[1].startsWith('     ')).toBe(true);
    expect(lines.join('').replace(/\s/g, '')).toContain('x'.repeat(100).slice(0, 20));
  });

  it('fills each line up to the width exactly, breaking only between words', () => {
    // 'aaaa bbbb' is 9 columns: with a 3-column prefix it fits a width of 12 exactly, not 11.
    expect(wrapText('aaaa bbbb cc', 12, ' - ')).toEqual([' - aaaa bbbb', '   cc']);
    expect(wrapText('aaaa bbbb cc', 11, ' - ')).toEqual([' - aaaa', '   bbbb cc']);
    expect(wrapText('one two three', 80, '> ')).toEqual(['> one two three']);
    expect(wrapText('', 80, '  3. ')).toEqual(['  3. ']);
  });

  it('treats any run of white space (tabs, newlines, non-breaking spaces) as one separator', () => {
    expect(wrapText('  alpha\t\tbeta\n gamma\u00a0delta  ', 80)).toEqual(['alpha beta gamma delta']);
    expect(wrapText('alpha\nbeta gamma', 11, '', '  ')).toEqual(['alpha beta', '  gamma']);
  });

  it('cuts a word that does not fit a line, then goes on with the next words', () => {
    expect(wrapText(`${'y'.repeat(25)} z`, 20, '  ')).toEqual([`  ${'y'.repeat(18)}`, `  ${'y'.repeat(7)} z`]);
  });
});

describe('wrapTextBlock', () => {
  it('is wrapText\'s lines, each ended by a newline, for any spacing, width and word length', () => {
    // A fixed-seed generator: words of 1-30 letters (some longer than a line) separated by
    // single spaces, runs of spaces, tabs, newlines or non-breaking spaces.
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const gaps = [' ', ' ', ' ', ' ', '  ', '\t', '\n', '\u00a0'];
    for (let i = 0; i < 3000; i++) {
      let text = rand(8) === 0 ? ' ' : '';
      const words = rand(15);
      for (let w = 0; w < words; w++) text += (w ? gaps[rand(i % 2 ? 8 : 4)] : '') + 'abcdefghij'.repeat(3).slice(0, 1 + rand(30));
      if (rand(8) === 0) text += ' ';
      const width = 20 + rand(60);
      const first = ['', '  - ', '    12. '][rand(3)];
      const rest = ' '.repeat(rand(10));
      expect(wrapTextBlock(text, width, first, rest)).toBe(`${wrapText(text, width, first, rest).join('\n')}\n`);
    }
  });
});

describe('renderAnalysisMarkdown', () => {
  it('report sections, escaped table cells, and the diagram hook between legs and hops', async () => {
    const { a, flows } = await analysisOf('04-port-collision');
    a.flows[0].iface = 'eth|0';
    const m = renderAnalysisMarkdown(a, flows, { renderCorrelationDiagram: (c) => `\`\`\`mermaid\nsequenceDiagram\n%% ${c.id}\n\`\`\`` });
    expect(m.startsWith('# natflow analysis\n')).toBe(true);
    expect(m).toContain('### s04-t2: snat');
    expect(m).toContain('source port 40000 → 60538');
    expect(m).toContain('eth\\|0');
    const iLegs = m.indexOf('| 1 |', m.indexOf('### s04-t2'));
    const iDiagram = m.indexOf('%% s04-t2');
    const iHops = m.indexOf('**Hops**', m.indexOf('### s04-t2'));
    expect(iLegs).toBeGreaterThan(0);
    expect(iDiagram).toBeGreaterThan(iLegs);
    expect(iHops).toBeGreaterThan(iDiagram);
    // Each leg's row ends with its flow's Community ID; the pair id follows the table.
    const c = a.correlations.find((x) => x.id === 's04-t2')!;
    const section = m.slice(m.indexOf('### s04-t2'), iHops);
    expect(section).toContain('| Community ID |');
    c.legs.forEach((id, i) => expect(section).toMatch(new RegExp(`\\| ${i + 1} \\|[^\\n]*\\| ${id} \\|[^\\n]*\\| \`${flows.get(id)!.communityId.replace(/[+/]/g, '\\$&')}\` \\|`)));
    expect(section).toContain(`Pair id \`${c.pairId}\``);
    expect(c.pairId).toMatch(/^nf1:/);
  });
});

describe('a leg made only of replies', () => {
  it('06: the replies on docker0 under the pre-MASQUERADE tuple are written client first, and marked as replies only', async () => {
    const { analyzeCaptures } = await import('../../src/correlate/analyze.js');
    const { scenarios } = await import('../correlate/truth.js');
    const s = scenarios().find((x) => x.name === '06-localhost-noproxy')!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    const c = r.analysis.correlations.find((x) => x.mechanism === 'dnat+snat')!;
    // What the capture holds: one leg of the server's packets only, to the loopback client.
    const half = c.legs.map((id) => r.flowsById.get(id)!).filter((f) => f.fwd.packets === 0);
    expect(half).toHaveLength(1);
    expect(half[0].rev.packets).toBeGreaterThan(0);
    expect(half[0].src.ip).toBe('127.0.0.1');
    const text = renderAnalysisText(r.analysis, r.flowsById, { color: false, width: 100 });
    const legLines = text.split('\n').filter((l) => /^ {4}\d\. /.test(l) && l.includes('5000 ('));
    expect(legLines.filter((l) => l.includes('replies only'))).toEqual([expect.stringContaining(`(tcp, ${half[0].id}, replies only)`)]);
    const md = renderAnalysisMarkdown(r.analysis, r.flowsById);
    expect(md).toContain(`| ${half[0].id} (replies only) |`);
  });
});

describe('a Markdown report of a capture cut short', () => {
  it('says which file was cut short and where, since the CLI error line goes to stderr, not into the report', async () => {
    const { analyzeCaptures } = await import('../../src/correlate/analyze.js');
    const { capturesDir } = await import('../helpers/paths.js');
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const whole = readFileSync(`${capturesDir}/02-external-dnat/all.pcapng`);
    const file = `${mkdtempSync(`${tmpdir()}/natflow-`)}/cut.pcapng`;
    writeFileSync(file, whole.subarray(0, 3000));
    const r = await analyzeCaptures([file]);
    const err = r.analysis.captures[0].error!;
    expect(err).toMatch(/at byte \d+$/);
    const md = renderAnalysisMarkdown(r.analysis, r.flowsById);
    expect(md).toContain(`**Capture cut short:** ${err.replace(/_/g, '\\_')}`);
    // The whole file reports nothing of the kind.
    const ok = await analyzeCaptures([`${capturesDir}/02-external-dnat/all.pcapng`]);
    expect(renderAnalysisMarkdown(ok.analysis, ok.flowsById)).not.toContain('cut short');
  });
});
