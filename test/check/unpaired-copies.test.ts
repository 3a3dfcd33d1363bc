/**
 * A scenario directory holds each capture point more than once: the per-interface pcaps, the
 * `-i any` capture and the pcapng. A connection nothing paired (07's loopback call, 21's dropped
 * SYN) is then recorded by several files; analyze lists it once, and check must count it once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli as run } from '../helpers/run-cli.js';
import { capturesDir } from '../helpers/paths.js';
import { haveScenario, scenarioCaptures } from '../helpers/scenario-dir.js';
import { examplesDir, scratchPath } from './check-fixtures.js';

afterEach(() => vi.restoreAllMocks());

const SCENARIOS = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .filter(haveScenario)
  .sort();

function lines(s: string): string[] {
  return s.trimEnd().split('\n');
}

interface JsonReport {
  passed: boolean;
  results: { id: string; passed: boolean; matched: string[] }[];
}

describe('natflow check on a whole scenario directory: an unpaired connection recorded by several files is one', () => {
  it('07: the loopback call is one conversation, the one analyze lists as unpaired', async () => {
    const dir = path.join(capturesDir, '07-host-network');
    const analyze = await run(['analyze', '--json', dir]);
    const analysis = JSON.parse(analyze.stdout) as { unpaired: string[]; inferences: string[] };
    // The premise: lo.pcap, any.pcap and all.pcapng each recorded it, and analyze says so.
    expect(analysis.inferences.some((i) => /^unpaired flows recorded in more than one file are listed once; the other copies: f\d+ = f\d+, f\d+ = f\d+$/.test(i))).toBe(true);
    const onLo = analysis.unpaired;
    expect(onLo).toHaveLength(1);

    const exp = path.join(examplesDir, '07-host-network.yaml');
    const text = await run(['check', '--expect', exp, dir]);
    expect(text.stderr).toBe('');
    expect(lines(text.stdout)[0]).toBe(
      `PASS  [1] host-network service answers on loopback directly: 1 matched; reaches 127.0.0.1:8000; clientIpPreserved true; state completed {flows ${onLo[0]}}`,
    );
    expect(text.code).toBe(0);

    const json = JSON.parse((await run(['check', '--expect', exp, '--json', dir])).stdout) as JsonReport;
    expect(json.results[0].matched).toEqual(onLo);
  });

  it('21: the dropped SYN, retried and recorded by three files, is one conversation', async () => {
    const dir = path.join(capturesDir, '21-requests-dropped');
    const { code, stdout } = await run(['check', '--expect', path.join(examplesDir, '21-requests-dropped.yaml'), dir]);
    expect(lines(stdout)[0]).toMatch(/^PASS {2}\[1\] the call to the published port reaches nothing behind the host: 1 matched; via none \(no counterpart\); state unanswered \{flows f\d+\}$/);
    expect(code).toBe(0);
  });

  it('13b: two refused IPv6 connections are two, not six', async () => {
    const dir = path.join(capturesDir, '13b-ipv6-noproxy');
    const { code, stdout } = await run(['check', '--expect', path.join(examplesDir, '13b-ipv6-noproxy.yaml'), '--json', dir]);
    const report = JSON.parse(stdout) as JsonReport;
    expect(report.results[0].matched).toHaveLength(2);
    expect(code).toBe(0);
  });

  it('--init on 07 writes count: 1 for the loopback call', async () => {
    const { code, stdout } = await run(['check', '--init', path.join(capturesDir, '07-host-network')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/ {6}to: "127\.0\.0\.1:8000"\n {6}protocol: tcp\n {4}expect:\n {6}count: 1\n/);
  });

  it('every example holds on its whole scenario directory (per-interface pcaps, -i any and pcapng together)', async () => {
    const failing: string[] = [];
    for (const scenario of SCENARIOS) {
      const { code, stdout, stderr } = await run(['check', '--expect', path.join(examplesDir, `${scenario}.yaml`), path.join(capturesDir, scenario)]);
      if (code !== 0 || stderr !== '') failing.push(`${scenario}: exit ${code} ${stderr}${stdout.split('\n').filter((l) => l.startsWith('FAIL')).join(' ')}`);
    }
    expect(failing).toEqual([]);
  });

  it('--init on a whole scenario directory writes what it writes from the per-interface pcaps, and that holds on the directory', async () => {
    const body = (text: string): string => text.replace(/^#.*\n/gm, '');
    const differing: string[] = [];
    for (const scenario of SCENARIOS) {
      const dir = path.join(capturesDir, scenario);
      const out = scratchPath(`dir-init-${scenario}.yaml`);
      const init = await run(['check', '--init', '-o', out, dir]);
      expect(init.code).toBe(0);
      const perInterface = await run(['check', '--init', ...scenarioCaptures(scenario)]);
      if (body(readFileSync(out, 'utf8')) !== body(perInterface.stdout)) differing.push(`${scenario}: differs from the per-interface pcaps`);
      const check = await run(['check', '--expect', out, dir]);
      if (check.code !== 0 || check.stderr !== '') differing.push(`${scenario}: exit ${check.code} ${check.stderr}`);
    }
    expect(differing).toEqual([]);
  });
});
