/**
 * What analyze infers from side inputs must say what happened, no more: an unused published port
 * is not a contradiction, a refused connection's missing conntrack entry is expected (observed:
 * NEW then DESTROY within microseconds, captures/README.md), and one connection recorded in
 * three files is still one connection with two tuples.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { parseCaptureOptions } from '../../src/cli/capture-options.js';
import { parseRules, rulesReadText } from '../../src/correlate/rules/index.js';
import { capturesDir, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

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
    const r = await analyzeCaptures([d], parseCaptureOptions({ rules: [rules] }, [d]));
    const line = r.analysis.inferences.find((l) => l.startsWith('--rules'));
    expect(line).toBe(`--rules ${rules}: ${perTable.get('nat')} NAT rules and ${perTable.get('filter')} filter rules read (iptables-save, IPv4); 2 of 2 kernel rewrites attributed to a rule`);
  });

  it('one ruleset reads the same whichever tool dumped it; iptables -t nat -L holds the nat table only', () => {
    const text = (f: string) => rulesReadText(parseRules(readFileSync(join(fixtures, f), 'utf8'), f));
    const save = appendsPerTable(join(fixtures, 'docker28-proxy.iptables-save.txt'));
    expect(text('docker28-proxy.iptables-save.txt')).toBe(`${save.get('nat')} NAT rules, ${save.get('filter')} filter rules and ${save.get('raw')} raw rule read (iptables-save, IPv4)`);
    expect(text('docker28-proxy.nft-ruleset.txt')).toBe(`${save.get('nat')} NAT rules, ${save.get('filter')} filter rules and ${save.get('raw')} raw rule read (nft, IPv4)`);
    expect(text('docker28-proxy.iptables-nat-L.txt')).toBe(`${save.get('nat')} NAT rules read (iptables -L, IPv4)`);
    // Docker 29's one table: a regular chain does the work of the base chains that jump to it.
    expect(text('docker29-nftables.nft-ruleset.txt')).toBe('6 NAT rules and 9 filter rules read (nft, IPv4)');
  });
});

describe.skipIf(!have('09-closed-port') || !have('06-localhost-noproxy'))('side-input inferences', () => {
  it('09: a DNAT rule for a port nobody used is flagged as unused, not as a contradiction', async () => {
    const d = dir('09-closed-port');
    const r = await analyzeCaptures([d], parseCaptureOptions({ rules: [join(d, 'iptables-save.txt')] }, [d]));
    const inf = r.analysis.inferences;
    expect(inf.some((l) => /^unused rule: DNAT rule for port 5000\b/.test(l))).toBe(true);
    expect(inf.filter((l) => l.startsWith('contradiction:'))).toEqual([]);
  });

  it('09: refused connections missing from the conntrack dump are explained, not silently absent', async () => {
    const d = dir('09-closed-port');
    const r = await analyzeCaptures([d], parseCaptureOptions({ conntrack: [join(d, 'conntrack.txt')] }, [d]));
    const line = r.analysis.inferences.find((l) => l.startsWith('--conntrack'));
    expect(line).toMatch(/0 contradicted, (\d+) not in the dump \(\1 of them refused with RST/);
  });

  it('06: one connection recorded in several files is counted once as having two tuples', async () => {
    const d = dir('06-localhost-noproxy');
    const r = await analyzeCaptures([d], parseCaptureOptions({}, [d]));
    expect(r.analysis.inferences).toContainEqual(expect.stringMatching(/^1 TCP connection showed two tuples on one interface/));
  });
});

describe.skipIf(!have('17-ipv6-network'))('--rules of one address family (17: IPv6 DNAT and MASQUERADE)', () => {
  const d = dir('17-ipv6-network');
  const v4 = join(d, 'iptables-save.txt');
  const v6 = join(d, 'ip6tables-save.txt');
  const scratch = tempDir('natflow-rules-family-');
  const analyze = (rules: string | string[]) => analyzeCaptures([d], parseCaptureOptions({ rules: typeof rules === 'string' ? [rules] : rules }, [d]));
  const rulesLines = (inf: string[]) => inf.filter((l) => l.startsWith('--rules') || l.startsWith('contradiction:') || l.startsWith('unused rule:'));
  const dnatLine = readFileSync(v6, 'utf8').split('\n').findIndex((l) => l.includes('-j DNAT')) + 1;
  const kernelHops = (r: Awaited<ReturnType<typeof analyze>>) => r.analysis.correlations.flatMap((c) => c.hops.filter((h) => h.mechanism === 'dnat' || h.mechanism === 'snat'));

  it('the IPv4 dump (iptables-save) explains no IPv6 rewrite and contradicts none: said once, with where the rules are', async () => {
    expect(readFileSync(v4, 'utf8')).toMatch(/^# Generated by iptables-save/);
    const r = await analyze(v4);
    expect(kernelHops(r)).toHaveLength(2);
    expect(rulesLines(r.analysis.inferences)).toEqual([
      `--rules ${v4}: 6 NAT rules and 12 filter rules read (iptables-save, IPv4); 0 of 2 kernel rewrites attributed to a rule`,
      `--rules ${v4}: the rules given are IPv4 only (iptables-save), so the 2 IPv6 rewrites were not attributed to a rule, which contradicts nothing: IPv6 NAT rules are in ip6tables; give both dumps, \`--rules\` once for each file or \`--rules <(iptables-save -c; ip6tables-save -c)\``,
    ]);
    // Nor per conversation: the step names the rewrite and why no rule is quoted.
    const text = r.analysis.correlations.flatMap((c) => c.explanation).join(' ');
    expect(text).not.toContain('no rule in the ruleset given explains');
    expect(text).toContain('by a DNAT rule for the published port (not named: the rules given are IPv4 only).');
    expect(text).toContain('by the MASQUERADE rule for the container subnet (not named: the rules given are IPv4 only).');
  });

  it('the IPv6 dump (ip6tables-save) names both rules; both dumps in one file too, each family walked on its own', async () => {
    const dnat = readFileSync(v6, 'utf8').split('\n')[dnatLine - 1].replace(/^\[\d+:\d+\] /, '');
    expect(dnat).toBe('-A DOCKER ! -i docker0 -p tcp -m tcp --dport 5000 -j DNAT --to-destination [fd00:17::2]:5000');
    const both = join(scratch, 'both.txt');
    writeFileSync(both, readFileSync(v4, 'utf8') + readFileSync(v6, 'utf8'));
    for (const [rules, family] of [[v6, 'IPv6'], [both, 'IPv4 and IPv6']]) {
      const r = await analyze(rules);
      const counts = family === 'IPv6' ? '6 NAT rules and 12 filter rules' : '12 NAT rules and 24 filter rules';
      expect(rulesLines(r.analysis.inferences)).toEqual([`--rules ${rules}: ${counts} read (iptables-save, ${family}); 2 of 2 kernel rewrites attributed to a rule`]);
      expect(kernelHops(r).map((h) => h.rule?.text).sort()).toEqual([dnat, '-A POSTROUTING -s fd00:17::/64 ! -o docker0 -j MASQUERADE']);
    }
    // `--rules` once per dump: the same, each rule quoted with the file it is in.
    const twice = await analyze([v4, v6]);
    expect(rulesLines(twice.analysis.inferences)).toEqual([`--rules ${v4}, ${v6}: 12 NAT rules and 24 filter rules read (iptables-save, IPv4 and IPv6); 2 of 2 kernel rewrites attributed to a rule`]);
    expect(kernelHops(twice).map((h) => h.rule?.source)).toContain(`${v6}:${dnatLine}`);
  });

  it('iptables -L and nft dumps of IPv4 only say so too; an nft inet table covers IPv6, and its misses are contradictions, endpoints bracketed', async () => {
    const nat = join(fixtures, 'docker27-proxy.iptables-nat-L.txt');
    expect(rulesLines((await analyze(nat)).analysis.inferences)[1]).toBe(
      `--rules ${nat}: the rules given are IPv4 only (iptables -L), so the 2 IPv6 rewrites were not attributed to a rule, which contradicts nothing: IPv6 NAT rules are in ip6tables; give \`ip6tables -t nat -L -n -v\` to --rules for them`,
    );
    const nftFile = join(fixtures, 'docker27-proxy.nft-ruleset.txt');
    const nft = rulesLines((await analyze(nftFile)).analysis.inferences);
    expect(nft).toHaveLength(2);
    expect(nft[1]).toMatch(/^--rules \S+: the rules given are IPv4 only \(nft\), so the 2 IPv6 rewrites were not attributed to a rule, which contradicts nothing: the ruleset has no ip6 or inet table; /);
    const inet = join(scratch, 'inet.txt');
    writeFileSync(inet, readFileSync(nftFile, 'utf8').replace(/^table ip /gm, 'table inet '));
    const r = await analyze(inet);
    expect(rulesLines(r.analysis.inferences).filter((l) => l.startsWith('contradiction:'))).toEqual([
      'contradiction: dnat [2001:db8:18::2]:38462 → [2001:db8:18::1]:5000 became [2001:db8:18::2]:38462 → [fd00:17::2]:5000: no rule in the rules given explains it',
      'contradiction: snat [fd00:17::2]:36418 → [2001:db8:18::2]:8080 became [2001:db8:18::1]:36418 → [2001:db8:18::2]:8080: no rule in the rules given explains it',
    ]);
  });

  it.skipIf(!have('03-egress-masquerade'))('the IPv6 dump against IPv4 rewrites (03): the other way round, and an unused IPv6 DNAT is written [addr]:port', async () => {
    const d03 = dir('03-egress-masquerade');
    const r = await analyzeCaptures([d03], parseCaptureOptions({ rules: [v6] }, [d03]));
    expect(rulesLines(r.analysis.inferences)).toEqual([
      `--rules ${v6}: 6 NAT rules and 12 filter rules read (iptables-save, IPv6); 0 of 3 kernel rewrites attributed to a rule`,
      `--rules ${v6}: the rules given are IPv6 only (iptables-save), so the 3 IPv4 rewrites were not attributed to a rule, which contradicts nothing: IPv4 NAT rules are in iptables; give both dumps, \`--rules\` once for each file or \`--rules <(iptables-save -c; ip6tables-save -c)\``,
      `unused rule: DNAT rule for port 5000 → [fd00:17::2]:5000 (nat DOCKER, ${v6}:${dnatLine}) matches no connection in the capture`,
    ]);
  });
});
