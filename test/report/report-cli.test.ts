import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import mermaid from 'mermaid';
import { runCli as run } from '../helpers/run-cli.js';
import { capturesDir } from '../helpers/paths.js';
import { correlationSections } from './scenarios.js';

const article = ['lo.pcap', 'docker0.pcap'].map((f) => path.join(capturesDir, '01-localhost-proxy', f));

describe('natflow report (CLI)', () => {
  it('writes one self-contained HTML file with -o, nothing on stdout, exit 0', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'natflow-report-cli-')), 'report.html');
    const r = await run(['report', ...article, '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(correlationSections(html)).toHaveLength(1);
  });

  it('prints to stdout without -o, and names the rule behind a DNAT with --rules', async () => {
    const dir = path.join(capturesDir, '02-external-dnat');
    const r = await run(['report', path.join(dir, 'eth0.pcap'), path.join(dir, 'docker0.pcap'), '--rules', path.join(dir, 'iptables-save.txt')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('<svg class="ladder"');
    // The rule as iptables-save printed it (recorded in the lab), quoted in the hop.
    expect(r.stdout).toMatch(/rule: <code>nat\/DOCKER: [^<]*-j DNAT --to-destination 172\.17\.0\.2:5000/);
  });

  it('refuses a bad limit and a missing capture with exit 2 and one line on stderr', async () => {
    const bad = await run(['report', ...article, '--max-packets', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^natflow: report: --max-packets must be a whole number/);
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'natflow-report-cli-')), 'r.html');
    const missing = await run(['report', path.join(capturesDir, 'no-such.pcap'), '-o', out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^natflow: .*no-such\.pcap/);
    expect(existsSync(out)).toBe(false);
    // An output path that cannot be written fails at once, in the documented form.
    const unwritable = await run(['report', ...article, '-o', path.join(out, 'no-such-dir', 'r.html')]);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toBe(`natflow: ${path.join(out, 'no-such-dir', 'r.html')}: cannot write the report: no such directory\n`);
  });
});

describe('natflow analyze --markdown', () => {
  it('includes a Mermaid sequenceDiagram per correlation that parses', async () => {
    const r = await run(['analyze', '--markdown', ...article]);
    expect(r.code).toBe(0);
    const blocks = [...r.stdout.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);
    expect(blocks).toHaveLength(1);
    await expect(mermaid.parse(blocks[0])).resolves.toMatchObject({ diagramType: 'sequence' });
    expect(blocks[0]).toContain('Note over L1: docker-proxy hand-off');
  });
});
