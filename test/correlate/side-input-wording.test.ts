/**
 * What analyze infers from side inputs must say what happened, no more: an unused published port
 * is not a contradiction, a refused connection's missing conntrack entry is expected (observed:
 * NEW then DESTROY within microseconds, captures/README.md), and one connection recorded in
 * three files is still one connection with two tuples.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { parseCaptureOptions } from '../../src/cli/capture-options.js';
import { parseRules, rulesReadText } from '../../src/correlate/rules/index.js';
import { capturesDir, repoRoot } from '../helpers/paths.js';

const dir = (name: string) => join(capturesDir, name);
const have = (name: string) => existsSync(join(dir(name), 'truth.json'));
const fixtures = join(repoRoot, 'test/explain/fixtures');

/** `-A` lines per table of an iptables-save file, counted from the file itself. */
function appendsPerTable(file: string): Map<string, number> {
  const out = new Map<string, number>();
  let table = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    else if (/^(\[\d+:\d+\] )?-A /.test(line)) out.set(table, (out.get(table) ?? 0) + 1);
  }
  return out;
}

describe.skipIf(!have('05b-hairpin-noproxy'))('--rules: what was read', () => {
  it('05b: the rules are counted per table, not all called NAT rules', async () => {
    const d = dir('05b-hairpin-noproxy');
    const rules = join(d, 'iptables-save.txt');
    const perTable = appendsPerTable(rules);
    expect([...perTable.keys()].sort()).toEqual(['filter', 'nat']);
    const r = await analyzeCaptures([d], parseCaptureOptions({ rules }, [d]));
    const line = r.analysis.inferences.find((l) => l.startsWith('--rules'));
    expect(line).toBe(`--rules ${rules}: ${perTable.get('nat')} NAT rules and ${perTable.get('filter')} filter rules read (iptables-save); 2 of 2 kernel rewrites attributed to a rule`);
  });

  it('one ruleset reads the same whichever tool dumped it; iptables -t nat -L holds the nat table only', () => {
    const text = (f: string) => rulesReadText(parseRules(readFileSync(join(fixtures, f), 'utf8'), f));
    const save = appendsPerTable(join(fixtures, 'docker28-proxy.iptables-save.txt'));
    expect(text('docker28-proxy.iptables-save.txt')).toBe(`${save.get('nat')} NAT rules, ${save.get('filter')} filter rules and ${save.get('raw')} raw rule read (iptables-save)`);
    expect(text('docker28-proxy.nft-ruleset.txt')).toBe(`${save.get('nat')} NAT rules, ${save.get('filter')} filter rules and ${save.get('raw')} raw rule read (nft)`);
    expect(text('docker28-proxy.iptables-nat-L.txt')).toBe(`${save.get('nat')} NAT rules read (iptables -L)`);
    // Docker 29's one table: a regular chain does the work of the base chains that jump to it.
    expect(text('docker29-nftables.nft-ruleset.txt')).toBe('6 NAT rules and 9 filter rules read (nft)');
  });
});

describe.skipIf(!have('09-closed-port') || !have('06-localhost-noproxy'))('side-input inferences', () => {
  it('09: a DNAT rule for a port nobody used is flagged as unused, not as a contradiction', async () => {
    const d = dir('09-closed-port');
    const r = await analyzeCaptures([d], parseCaptureOptions({ rules: join(d, 'iptables-save.txt') }, [d]));
    const inf = r.analysis.inferences;
    expect(inf.some((l) => /^unused rule: DNAT rule for port 5000\b/.test(l))).toBe(true);
    expect(inf.filter((l) => l.startsWith('contradiction:'))).toEqual([]);
  });

  it('09: refused connections missing from the conntrack dump are explained, not silently absent', async () => {
    const d = dir('09-closed-port');
    const r = await analyzeCaptures([d], parseCaptureOptions({ conntrack: join(d, 'conntrack.txt') }, [d]));
    const line = r.analysis.inferences.find((l) => l.startsWith('--conntrack'));
    expect(line).toMatch(/0 contradicted, (\d+) not in the dump \(\1 of them refused with RST/);
  });

  it('06: one connection recorded in several files is counted once as having two tuples', async () => {
    const d = dir('06-localhost-noproxy');
    const r = await analyzeCaptures([d], parseCaptureOptions({}, [d]));
    expect(r.analysis.inferences).toContainEqual(expect.stringMatching(/^1 TCP connection showed two tuples on one interface/));
  });
});
