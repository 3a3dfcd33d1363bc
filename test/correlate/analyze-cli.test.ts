/** `natflow analyze` end to end through the CLI entry: formats, the default sample, bad captures. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import type { Analysis } from '../../src/correlate/model.js';
import { scenarios } from './truth.js';
import { tempDir } from '../helpers/temp-dir.js';

const tmp = tempDir('natflow-cli-');
afterEach(() => vi.restoreAllMocks());

const s01 = scenarios().find((s) => s.name.startsWith('01-'));
const s02 = scenarios().find((s) => s.name.startsWith('02-'));

describe.skipIf(!s01 || !s02)('natflow analyze', () => {
  it('with no argument explains the bundled localhost sample as the userland proxy', async () => {
    const r = await runCli(['analyze']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/userland-proxy/);
    expect(r.stdout).toContain('lo');
    expect(r.stdout).toContain('docker0');
  });

  it('--json is one document with the model field names', async () => {
    const r = await runCli(['analyze', '--json', s02!.perInterface.eth0, s02!.perInterface.docker0]);
    expect(r.code).toBe(0);
    const a = JSON.parse(r.stdout) as Analysis;
    expect(Object.keys(a)).toEqual(expect.arrayContaining(['captures', 'flows', 'correlations', 'unpaired', 'summary', 'inferences']));
    expect(a.correlations.find((c) => c.mechanism === 'dnat')?.legs).toHaveLength(2);
    expect(a.captures.map((c) => c.file)).toEqual([s02!.perInterface.eth0, s02!.perInterface.docker0]);
  });

  it('--markdown renders a report', async () => {
    const r = await runCli(['analyze', '--markdown', s01!.perInterface.lo, s01!.perInterface.docker0]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#/m);
    expect(r.stdout).toMatch(/userland-proxy/);
  });

  it('a truncated capture: what was read is still analyzed, one stderr line with the byte offset, exit 2', async () => {
    const eth0 = readFileSync(s02!.perInterface.eth0);
    const cut = join(tmp, 'eth0-cut.pcap');
    // Keep the header and the first records, cut the next record in the middle.
    writeFileSync(cut, eth0.subarray(0, Math.min(eth0.length - 1, 1001)));
    const r = await runCli(['analyze', '--json', cut, s02!.perInterface.docker0]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^natflow: ${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+ at byte \\d+$`));
    const a = JSON.parse(r.stdout) as Analysis;
    expect(a.flows.some((f) => f.iface === 'docker0')).toBe(true);
    expect(a.captures[0].error).toMatch(/at byte/);
  });
});
