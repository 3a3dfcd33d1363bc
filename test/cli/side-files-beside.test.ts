/**
 * A capture directory as `captures/record.sh` (or a user following the README) leaves it also
 * holds `iptables-save.txt`, `ip6tables-save.txt` and `conntrack.txt`. analyze does not read them
 * unasked, but the inferences that say what went without them name them with the options to
 * give; the command they spell out works as printed, and `--rules` takes both families' dumps.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from '../helpers/run-cli.js';
import { capturesDir, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = join(capturesDir, '17-ipv6-network');

interface AnalysisJson {
  correlations: { mechanism: string; hops: { mechanism: string; rule: { source?: string; text: string } | null }[] }[];
  inferences: string[];
}

async function analyzeJson(args: string[]): Promise<AnalysisJson> {
  const r = await run(['analyze', '--json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as AnalysisJson;
}

/** What the inference that starts with `prefix` gives to type, between backquotes. */
function suggestion(inferences: string[], prefix: string): string | null {
  const line = inferences.find((l) => l.startsWith(prefix));
  expect(line).toBeDefined();
  return /`([^`]*)`/.exec(line!)?.[1] ?? null;
}

/** The same as words (the paths here have no spaces). */
function suggested(inferences: string[], prefix: string): string[] | null {
  return suggestion(inferences, prefix)?.split(' ') ?? null;
}

describe.skipIf(!existsSync(join(dir, 'truth.json')))('side files beside the captures (17: IPv6 DNAT and MASQUERADE)', () => {
  it('a directory: the dumps it holds are named with the options that read them, and that command attributes every rewrite', async () => {
    const bare = await analyzeJson([dir]);
    // Not read unasked: nothing was attributed.
    expect(bare.correlations.flatMap((c) => c.hops).every((h) => h.rule === null)).toBe(true);
    const rules = suggested(bare.inferences, 'no --rules given:');
    const conntrack = suggested(bare.inferences, 'no --conntrack given:');
    // Both families' rule dumps: IPv6 NAT lives in ip6tables, which iptables-save does not show.
    expect(rules).toEqual(['--rules', join(dir, 'iptables-save.txt'), '--rules', join(dir, 'ip6tables-save.txt')]);
    // The listing taken at the end and the events recorded during the capture (the listing lacks what ended before it).
    expect(conntrack).toEqual(['--conntrack', join(dir, 'conntrack.txt'), '--conntrack', join(dir, 'conntrack-events.txt')]);

    const withThem = await analyzeJson([dir, ...rules!, ...conntrack!]);
    const kernel = withThem.correlations.flatMap((c) => c.hops).filter((h) => h.mechanism === 'dnat' || h.mechanism === 'snat');
    expect(kernel).toHaveLength(2);
    // Each rule from the file and line it is on: the IPv6 ones from the ip6tables dump.
    for (const h of kernel) expect(h.rule?.source).toMatch(/ip6tables-save\.txt:\d+$/);
    expect(withThem.inferences.find((l) => l.startsWith('--rules '))).toBe(
      `--rules ${join(dir, 'iptables-save.txt')}, ${join(dir, 'ip6tables-save.txt')}: 12 NAT rules and 24 filter rules read (iptables-save, IPv4 and IPv6); 2 of 2 kernel rewrites attributed to a rule`,
    );
    expect(withThem.inferences.some((l) => l.startsWith('no --rules') || l.startsWith('no --conntrack'))).toBe(false);
    const ct = withThem.inferences.find((l) => l.startsWith('--conntrack '));
    // Every connection here is in the listing too: counted once, as the listing has it.
    expect(ct).toMatch(/: \d+ entries; [1-9]\d* hop\(s\) confirmed, 0 contradicted/);
    expect(ct?.startsWith(`--conntrack ${join(dir, 'conntrack.txt')}, ${join(dir, 'conntrack-events.txt')}: `)).toBe(true);
  });

  it('an option given is not suggested again; files named one by one suggest nothing', async () => {
    const r = await analyzeJson([dir, '--rules', join(dir, 'ip6tables-save.txt')]);
    expect(r.inferences.some((l) => l.startsWith('no --rules'))).toBe(false);
    expect(suggested(r.inferences, 'no --conntrack given:')).toEqual(['--conntrack', join(dir, 'conntrack.txt'), '--conntrack', join(dir, 'conntrack-events.txt')]);
    const files = await analyzeJson(['eth0.pcap', 'docker0.pcap'].map((f) => join(dir, f)));
    expect(suggested(files.inferences, 'no --rules given:')).toBeNull();
    expect(suggested(files.inferences, 'no --conntrack given:')).toBeNull();
  });

  it('a file with a dump\'s name but not its contents is not suggested; a path with a space is quoted for the shell', async () => {
    const scratch = join(tempDir('natflow-beside-'), 'my captures');
    mkdirSync(scratch);
    for (const f of ['eth0.pcap', 'docker0.pcap', 'iptables-save.txt']) copyFileSync(join(dir, f), join(scratch, f));
    writeFileSync(join(scratch, 'conntrack.txt'), 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.\n');
    writeFileSync(join(scratch, 'rules.txt'), readFileSync(join(dir, 'addresses.txt')));
    const r = await analyzeJson([scratch]);
    expect(suggestion(r.inferences, 'no --rules given:')).toBe(`--rules '${join(scratch, 'iptables-save.txt')}'`);
    expect(suggested(r.inferences, 'no --conntrack given:')).toBeNull();
  });
});

const dnat = join(capturesDir, '02-external-dnat');

describe.skipIf(!existsSync(join(dnat, 'truth.json')))('side files as the README gives them: `--rules <(iptables-save -c)`', () => {
  const bin = join(repoRoot, 'bin', 'natflow');

  it('a pipe is read once, whole: its rules name the DNAT and its entries confirm the pair', () => {
    // bash's process substitution hands natflow /dev/fd/N, a pipe: read twice, it is empty.
    const out = execFileSync('bash', ['-c', `"${process.execPath}" "${bin}" analyze --json "${dnat}" --rules <(cat "${dnat}/iptables-save.txt") --conntrack <(cat "${dnat}/conntrack.txt")`], { encoding: 'utf8' });
    const r = JSON.parse(out) as AnalysisJson;
    const hop = r.correlations.flatMap((c) => c.hops).find((h) => h.mechanism === 'dnat');
    expect(hop?.rule?.text).toMatch(/-j DNAT --to-destination 172\.17\.0\.2:5000$/);
    expect(hop?.rule?.source).toMatch(/^\/dev\/fd\/\d+:\d+$/);
    expect(r.inferences).toContainEqual(expect.stringMatching(/^--conntrack \/dev\/fd\/\d+: 2 entries; 1 hop\(s\) confirmed, 0 contradicted, 0 not in the dump$/));
  });

  it('a side file that cannot be read is one line naming the option and the file, exit 2, before any capture is read', () => {
    const cases: [string[], RegExp][] = [
      [['--rules', join(dnat, 'nonexistent.txt')], /^natflow: --rules \S+nonexistent\.txt: cannot open: no such file \(ENOENT\)\n$/],
      [['--conntrack', dnat], /^natflow: --conntrack \S+02-external-dnat: is a directory\n$/],
      // Endless: read to a bound, not until memory runs out.
      [['--conntrack', '/dev/zero'], /^natflow: --conntrack \/dev\/zero: more than 268435456 bytes, reading stopped at byte 268435456\n$/],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(process.execPath, [bin, 'analyze', dnat, ...args], { encoding: 'utf8' });
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
      expect(r.status).toBe(2);
    }
  });

  it('a file given to the wrong option is refused, naming what it holds, not read as an empty ruleset that every rewrite contradicts', async () => {
    const f = (name: string) => join(dnat, name);
    const cases: [string[], string][] = [
      [['--rules', f('conntrack.txt')], `--rules ${f('conntrack.txt')}: no iptables-save, iptables -L or nft list ruleset output in it (it holds conntrack -L entries: give it to --conntrack)`],
      [['--conntrack', f('iptables-save.txt')], `--conntrack ${f('iptables-save.txt')}: no conntrack -L or conntrack -E entries in it (it holds rules: give it to --rules)`],
      [['--rules', f('addresses.txt')], `--rules ${f('addresses.txt')}: no iptables-save, iptables -L or nft list ruleset output in it`],
    ];
    for (const [args, message] of cases) {
      const r = await run(['analyze', dnat, ...args]);
      expect(r.stderr).toBe(`natflow: ${message}\n`);
      expect(r.stdout).toBe('');
      expect(r.code).toBe(2);
    }
    // Empty is what iptables-save prints on a host without rules: read as no rules, said so.
    const empty = join(tempDir('natflow-empty-rules-'), 'rules.txt');
    writeFileSync(empty, '');
    const r = await analyzeJson([dnat, '--rules', empty]);
    expect(r.inferences).toContainEqual(`--rules ${empty}: no rules read (iptables-save); 0 of 1 kernel rewrite attributed to a rule`);
  });
});
