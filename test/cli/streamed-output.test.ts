/**
 * `natflow analyze` (text, Markdown) and `natflow report` write a conversation at a time (so tens of thousands of
 * conversations need memory for one): what reaches stdout must be exactly the whole report.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { renderAnalysisText } from '../../src/present/analysis-text.js';
import { renderAnalysisMarkdown } from '../../src/present/analysis-markdown.js';
import { mermaidDiagramHook } from '../../src/present/mermaid.js';
import { renderReport } from '../../src/present/report/index.js';
import { readPackageVersion } from '../../src/cli/version.js';
import { runCli } from '../helpers/run-cli.js';
import { capturesDir } from '../helpers/paths.js';

describe('analyze output written in pieces', () => {
  for (const scenario of ['08-concurrent', '04-port-collision', '11-udp-closed-port']) {
    it(`${scenario}: text and Markdown on stdout are the whole report`, async () => {
      const dir = path.join(capturesDir, scenario);
      // The per-interface files (a directory would also bring the -i any capture and its links file).
      const files = readdirSync(dir)
        .filter((f) => f.endsWith('.pcap') && f !== 'any.pcap')
        .map((f) => path.join(dir, f));
      expect(files.length).toBeGreaterThanOrEqual(2);
      const r = await analyzeCaptures(files, { version: readPackageVersion() });
      const text = await runCli(['analyze', ...files]);
      expect(text.code).toBe(0);
      expect(text.stdout).toBe(renderAnalysisText(r.analysis, r.flowsById, { color: false, width: 80 }));
      expect(text.stdout.split('\n').length).toBeGreaterThan(20);
      const md = await runCli(['analyze', '--markdown', ...files]);
      expect(md.code).toBe(0);
      const whole = renderAnalysisMarkdown(r.analysis, r.flowsById, { renderCorrelationDiagram: mermaidDiagramHook(r.analysis) });
      expect(md.stdout).toBe(`${whole.replace(/\n$/, '')}\n`);
      expect(md.stdout).toContain('```mermaid');
      const html = await runCli(['report', ...files]);
      expect(html.code).toBe(0);
      expect(html.stdout).toBe(renderReport(r.analysis, r.flowsById));
      expect(html.stdout).toContain('<svg');
    });
  }
});
