import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findAll, parseXml } from './xml-tree.js';
import { runCli as run } from '../helpers/run-cli.js';
import { haveScenario, scenarioCaptures } from '../helpers/scenario-dir.js';
import { havePcaps, pcapsDir } from '../helpers/paths.js';
import { examplesDir, readTruth, scratchFile, scratchPath } from './check-fixtures.js';

afterEach(() => vi.restoreAllMocks());

const EXAMPLES = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

const RECORDED = readdirSync(path.join(examplesDir, '../../captures')).filter((d) => /^\d\d[a-z]?-/.test(d) && haveScenario(d));
const CUT = /--snaplen\d+$/;

function lines(s: string): string[] {
  return s.trimEnd().split('\n');
}

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('natflow check: the documented examples hold on their recorded scenarios', () => {
  it('there is one example per recorded scenario', () => {
    const scenarios = RECORDED.filter((d) => !CUT.test(d));
    expect(EXAMPLES.map((f) => f.replace(/\.yaml$/, ''))).toEqual(scenarios.sort());
  });

  // A headers-only recording (record.sh --snaplen) is the same scenario: its example must hold.
  it.each(RECORDED.filter((d) => CUT.test(d)))('%s → its scenario\'s example holds on the headers-only capture', async (scenario) => {
    const exp = path.join(examplesDir, `${scenario.replace(CUT, '')}.yaml`);
    const { code, stdout, stderr } = await run(['check', '--expect', exp, ...scenarioCaptures(scenario)]);
    expect(stderr).toBe('');
    const out = lines(stdout);
    // Only a selector on application fields the snaplen cut away (03 at 68 bytes: the DNS name)
    // may fail, and it says why.
    for (const l of out.slice(0, -1)) expect(l).toMatch(/^PASS {2}\[|^FAIL {2}\[.*found 0 \(the capture cut packets short \(snaplen \d+\): application fields past the kept bytes are unknown\)$/);
    const failed = out.filter((l) => l.startsWith('FAIL')).length;
    expect(out.at(-1)).toMatch(failed === 0 ? /^natflow check: all \d+ expectations hold/ : new RegExp(`^natflow check: ${failed} of \\d+ expectations failed`));
    expect(code).toBe(failed === 0 ? 0 : 1);
    // With 96 bytes every documented example holds (the HTTP request lines survive the cut).
    if (/--snaplen96$/.test(scenario)) expect(failed).toBe(0);
  });

  it.each(EXAMPLES)('%s → exit 0, every line PASS', async (file) => {
    const scenario = file.replace(/\.yaml$/, '');
    const exp = path.join(examplesDir, file);
    const { code, stdout, stderr } = await run(['check', '--expect', exp, ...scenarioCaptures(scenario)]);
    expect(stderr).toBe('');
    const out = lines(stdout);
    for (const l of out.slice(0, -1)) expect(l).toMatch(/^PASS {2}\[/);
    expect(out.at(-1)).toMatch(/^natflow check: all \d+ expectations hold/);
    expect(code).toBe(0);
  });
  it.each(EXAMPLES)('%s → also holds on the single `-i any` capture named with --links', async (file) => {
    const scenario = file.replace(/\.yaml$/, '');
    const dir = path.join(examplesDir, '../../captures', scenario);
    const exp = path.join(examplesDir, file);
    const { code, stdout } = await run(['check', '--expect', exp, '--links', path.join(dir, 'ip-link.json'), path.join(dir, 'any.pcap')]);
    expect(lines(stdout).at(-1)).toMatch(/^natflow check: all \d+ expectations hold/);
    expect(code).toBe(0);
  });
});

describe('natflow check: expectations that do not hold → exit 1, with what was found', () => {
  it('wrong mechanism: localhost through docker-proxy is not DNAT', async () => {
    const truth = readTruth('01-localhost-proxy')[0];
    const client = truth.legs[0].tuple;
    const exp = scratchFile(
      'wrong-mech.yaml',
      `expectations:\n  - name: localhost via dnat\n    match:\n      to: ${client.dst}:${client.dport}\n    expect:\n      via: dnat\n`,
    );
    const { code, stdout } = await run(['check', '--expect', exp, ...scenarioCaptures('01-localhost-proxy')]);
    expect(code).toBe(1);
    expect(lines(stdout)[0]).toMatch(
      new RegExp(`^FAIL {2}\\[1\\] localhost via dnat: via: expected dnat, found ${esc(truth.mechanism)} in c\\d+ \\[f\\d+(→f\\d+)+\\] \\(1 of 1\\) \\{flows( f\\d+)+\\}$`),
    );
    expect(lines(stdout).at(-1)).toMatch(/^natflow check: 1 of 1 expectations failed, 0 held/);
  });

  it('wrong destination: reaches names the container actually reached', async () => {
    const truth = readTruth('02-external-dnat')[0];
    const entry = truth.legs[0].tuple;
    const last = truth.legs.at(-1)!.tuple;
    const exp = scratchFile('wrong-dst.yaml', `expectations:\n  - match: { to: "${entry.dst}:${entry.dport}" }\n    expect: { reaches: "172.17.0.3:5000" }\n`);
    const { code, stdout } = await run(['check', '--expect', exp, ...scenarioCaptures('02-external-dnat')]);
    expect(code).toBe(1);
    expect(lines(stdout)[0]).toMatch(
      new RegExp(`^FAIL {2}\\[1\\] to ${esc(entry.dst)}:${entry.dport}: reaches: expected 172\\.17\\.0\\.3:5000, found ${esc(`${last.dst}:${last.dport}`)} in c\\d+ `),
    );
  });

  it('count off by one fails, the exact count passes', async () => {
    const dnat5000 = readTruth('08-concurrent').filter((c) => c.mechanism === 'dnat' && c.legs[0].tuple.dport === 5000).length;
    expect(dnat5000).toBeGreaterThan(1);
    const exp = (n: number): string =>
      scratchFile(`count-${n}.yaml`, `expectations:\n  - name: dnat 5000\n    match: { to: "198.18.0.1:5000" }\n    expect: { count: ${n}, via: dnat }\n`);
    const caps = scenarioCaptures('08-concurrent');
    const off = await run(['check', '--expect', exp(dnat5000 - 1), ...caps]);
    expect(off.code).toBe(1);
    expect(lines(off.stdout)[0]).toMatch(new RegExp(`^FAIL {2}\\[1\\] dnat 5000: count: expected exactly ${dnat5000 - 1}, found ${dnat5000} \\(c\\d+, `));
    const exact = await run(['check', '--expect', exp(dnat5000), ...caps]);
    expect(exact.code).toBe(0);
    expect(lines(exact.stdout)[0]).toMatch(new RegExp(`^PASS {2}\\[1\\] dnat 5000: ${dnat5000} matched; via dnat`));
  });

  it('an expectation that selects nothing fails by default', async () => {
    const exp = scratchFile('nothing.yaml', 'expectations:\n  - match: { to: "203.0.113.9:443" }\n');
    const { code, stdout } = await run(['check', '--expect', exp, ...scenarioCaptures('02-external-dnat')]);
    expect(code).toBe(1);
    expect(lines(stdout)[0]).toBe('FAIL  [1] to 203.0.113.9:443: count: expected at least 1, found 0');
  });

  it('global noMechanism: userland-proxy fails where docker-proxy relayed the connection', async () => {
    const exp = scratchFile('no-proxy.yaml', 'global:\n  noMechanism: userland-proxy\n');
    const { code, stdout } = await run(['check', '--expect', exp, ...scenarioCaptures('05a-hairpin-proxy')]);
    const t = readTruth('05a-hairpin-proxy')[0].legs[0].tuple;
    expect(code).toBe(1);
    expect(lines(stdout)[0]).toMatch(
      new RegExp(`^FAIL {2}\\[global\\.noMechanism\\] no conversation via userland-proxy: noMechanism: expected no userland-proxy, found 1: c\\d+ userland-proxy ${esc(`${t.src}:${t.sport} → ${t.dst}:${t.dport}`)}`),
    );
  });

  it('state: the closed port is refused, not completed', async () => {
    const exp = scratchFile('state.yaml', 'expectations:\n  - match: { to: "198.18.0.1:5002" }\n    expect: { state: completed }\n');
    const { code, stdout } = await run(['check', '--expect', exp, ...scenarioCaptures('09-closed-port')]);
    expect(code).toBe(1);
    expect(lines(stdout)[0]).toMatch(/^FAIL {2}\[1\] to 198\.18\.0\.1:5002: state: expected completed, found refused \((f\d+ rejected(, )?)+\) in c\d+/);
  });

  it('maxRetransmissions: the SYN retransmitted under load (tshark: one segment, seen on 3 interfaces) counts once', async () => {
    const exp0 = scratchFile('rt0.yaml', 'global:\n  maxRetransmissions: 0\n');
    const exp1 = scratchFile('rt1.yaml', 'global:\n  maxRetransmissions: 1\n');
    const caps = scenarioCaptures('08-concurrent');
    const strict = await run(['check', '--expect', exp0, ...caps]);
    expect(strict.code).toBe(1);
    expect(lines(strict.stdout)[0]).toMatch(/^FAIL {2}\[global\.maxRetransmissions\] .*: maxRetransmissions: expected ≤ 0, found 1 in c\d+ \[f\d+→f\d+→f\d+\] \{flows f\d+ f\d+ f\d+\}$/);
    const loose = await run(['check', '--expect', exp1, ...caps]);
    expect(loose.code).toBe(0);
  });
});

describe('natflow check: bad input → exit 2, nothing evaluated', () => {
  it('unknown key: names file, line and column, suggests the right key', async () => {
    const exp = scratchFile('typo.yaml', 'expectations:\n  - match:\n      to: 198.18.0.1:5000\n    expect:\n      mechanism: dnat\n      reachs: 172.17.0.2:5000\n');
    const { code, stdout, stderr } = await run(['check', '--expect', exp, ...scenarioCaptures('02-external-dnat')]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(lines(stderr)).toEqual([
      `natflow: ${exp}:5:7: unknown key "mechanism" in expectation 1 expect: did you mean "via"?`,
      `natflow: ${exp}:6:7: unknown key "reachs" in expectation 1 expect: did you mean "reaches"?`,
    ]);
  });

  it('malformed YAML: the parser position, exit 2', async () => {
    const exp = scratchFile('broken.yaml', 'expectations:\n  - match: { to: "198.18.0.1:5000"\n    expect:\n      via: dnat\n');
    const { code, stdout, stderr } = await run(['check', '--expect', exp, ...scenarioCaptures('02-external-dnat')]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(lines(stderr)[0]).toMatch(new RegExp(`^natflow: ${esc(exp)}:\\d+:\\d+: invalid YAML: `));
  });

  it('unknown mechanism value and unquoted wildcard', async () => {
    const exp = scratchFile('values.yaml', 'expectations:\n  - match:\n      to: *:5000\n    expect:\n      via: docker-proxy\n');
    const { code, stderr } = await run(['check', '--expect', exp, ...scenarioCaptures('02-external-dnat')]);
    expect(code).toBe(2);
    expect(lines(stderr)).toEqual([
      `natflow: ${exp}:3:11: "*:5000" is read as a YAML alias: quote values that start with "*", e.g. "*:5000"`,
      `natflow: ${exp}:5:12: via: unknown mechanism "docker-proxy" (one of: userland-proxy, dnat, snat, dnat+snat, bridge, none)`,
    ]);
  });

  it('missing expectations file, missing capture, missing --expect', async () => {
    const gone = scratchPath('does-not-exist.yaml');
    const a = await run(['check', '--expect', gone, ...scenarioCaptures('02-external-dnat')]);
    expect(a.code).toBe(2);
    // The documented `natflow: <file>: <what>`: no line and column, nothing in the file is at fault.
    expect(a.stderr).toBe(`natflow: ${gone}: cannot read expectations: no such file (ENOENT)\n`);
    const exp = path.join(examplesDir, '02-external-dnat.yaml');
    const b = await run(['check', '--expect', exp, scratchPath('nope.pcap')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/^natflow: .*nope\.pcap/);
    const c = await run(['check', ...scenarioCaptures('02-external-dnat')]);
    expect(c.code).toBe(2);
    expect(c.stderr).toBe('natflow: check: --expect FILE is required (or --init to write one)\n');
    // A path that never ends is read to the bound, not until the memory runs out.
    const d = await run(['check', '--expect', '/dev/zero', ...scenarioCaptures('02-external-dnat')]);
    expect(d.code).toBe(2);
    expect(d.stderr).toBe('natflow: /dev/zero: cannot read expectations: more than 4194304 bytes, reading stopped at byte 4194304\n');
  });
});

describe('natflow check: --json and --junit', () => {
  const mixed = (): string =>
    scratchFile(
      'mixed.yaml',
      [
        'expectations:',
        '  - name: "api <v1> & \\"quotes\\" \\x01\\u001b[31m"',
        '    match: { to: "198.18.0.1:5000" }',
        '    expect: { via: dnat }',
        '  - name: wrong on purpose',
        '    match: { to: "198.18.0.1:5000" }',
        '    expect: { via: userland-proxy, clientIpPreserved: false }',
        'global:',
        '  noUnpaired: true',
        '',
      ].join('\n'),
    );

  it('--junit writes well-formed XML: one testsuite, one testcase per expectation, failures with message and details', async () => {
    const junit = scratchPath('junit.xml');
    const { code, stdout } = await run(['check', '--expect', mixed(), '--junit', junit, ...scenarioCaptures('02-external-dnat')]);
    expect(code).toBe(1);
    // The terminal line is stripped of control characters; the XML keeps them visible but valid.
    expect(stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    const root = parseXml(readFileSync(junit, 'utf8'));
    const suites = findAll(root, 'testsuite');
    expect(suites).toHaveLength(1);
    expect(suites[0].attrs.tests).toBe('3');
    expect(suites[0].attrs.failures).toBe('1');
    const cases = findAll(root, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['[1] api <v1> & "quotes" \\x01\\x1b[31m', '[2] wrong on purpose', '[global.noUnpaired] no unpaired flows']);
    expect(cases.map((c) => c.attrs.line)).toEqual(['2', '5', '9']);
    expect(findAll(cases[0], 'failure')).toHaveLength(0);
    const failure = findAll(cases[1], 'failure');
    expect(failure).toHaveLength(1);
    expect(failure[0].attrs.message).toMatch(/^via: expected userland-proxy, found dnat in c\d+ .*; clientIpPreserved: expected false, found true/);
    expect(failure[0].text).toMatch(/via\n {2}expected: userland-proxy\n {2}found: {4}dnat in c\d+/);
  });

  it('--json: the same results as data', async () => {
    const { code, stdout } = await run(['check', '--expect', mixed(), '--json', ...scenarioCaptures('02-external-dnat')]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { passed: boolean; total: number; failures: number; results: { id: string; passed: boolean; flows: string[]; assertions: { assertion: string; passed: boolean }[] }[] };
    expect(report.passed).toBe(false);
    expect([report.total, report.failures]).toEqual([3, 1]);
    expect(report.results.map((r) => [r.id, r.passed])).toEqual([
      ['1', true],
      ['2', false],
      ['global.noUnpaired', true],
    ]);
    // The DNAT conversation of scenario 02 crosses eth0, docker0 and the container's veth.
    const legs = readTruth('02-external-dnat')[0].legs.flatMap((l) => l.interfaces);
    expect(report.results[0].flows).toHaveLength(legs.length);
    expect(report.results[1].assertions.filter((a) => !a.passed).map((a) => a.assertion)).toEqual(['via', 'clientIpPreserved']);
  });
});

describe('natflow check --init', () => {
  const scenarios = EXAMPLES.map((f) => f.replace(/\.yaml$/, ''));

  it.each(scenarios)('%s: the generated file passes against the same captures', async (scenario) => {
    const out = scratchPath(`init-${scenario}.yaml`);
    const caps = scenarioCaptures(scenario);
    const init = await run(['check', '--init', '-o', out, ...caps]);
    expect(init.code).toBe(0);
    expect(init.stdout).toBe('');
    const text = readFileSync(out, 'utf8');
    // Every conversation the lab recorded with a NAT mechanism shows up in the generated file.
    for (const c of readTruth(scenario)) {
      if (c.mechanism === 'none' || c.legs[0].interfaces.length === 0) continue;
      // One expectation per destination: several mechanisms to one destination are a list (18).
      expect(text).toMatch(new RegExp(`via: (${esc(c.mechanism)}$|\\[.*\\b${esc(c.mechanism)}\\b.*\\])`, 'm'));
    }
    // Nothing about IGMP reports, neighbor discovery or MLD: on every link, never NATed.
    expect(text).not.toMatch(/224\.0\.0\.22|ff02::/);
    const check = await run(['check', '--expect', out, ...caps]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
  });

  it('to stdout, and the result can be tightened into a failing check', async () => {
    const caps = scenarioCaptures('02-external-dnat');
    const { code, stdout } = await run(['check', '--init', ...caps]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^# natflow check expectations/);
    expect(stdout).toContain('      to: "198.18.0.1:5000"\n');
    const edited = scratchFile('edited.yaml', stdout.replace('count: 1', 'count: 2'));
    const check = await run(['check', '--expect', edited, ...caps]);
    expect(check.code).toBe(1);
  });
});

describe('natflow check: selectors on application fields and damaged captures', () => {
  it('dns.qname selects the query by name (case-insensitive glob), a different name selects nothing', async () => {
    // The lab's DNS client asks for "<marker>.lab.test".
    const marker = readTruth('03-egress-masquerade').find((c) => c.proto === 'udp')!.marker!;
    const exp = scratchFile(
      'dns.yaml',
      [
        'expectations:',
        `  - match: { dns.qname: "${marker.toUpperCase()}.*" }`,
        '    expect: { count: 1, via: snat }',
        '  - match: { dns.qname: "*.example.com" }',
        '    expect: { count: none }',
        '',
      ].join('\n'),
    );
    const { code, stdout } = await run(['check', '--expect', exp, ...scenarioCaptures('03-egress-masquerade')]);
    expect(stdout).toMatch(new RegExp(`^PASS {2}\\[1\\] dns\\.qname ${esc(marker.toUpperCase())}\\.\\*: 1 matched; via snat`));
    expect(code).toBe(0);
  });

  it('a capture cut short: results still printed, exit 2 (the verdict cannot be trusted)', async () => {
    const caps = scenarioCaptures('02-external-dnat');
    const eth0 = caps.find((c) => c.endsWith('eth0.pcap'))!;
    const bytes = readFileSync(eth0);
    // Cut in the middle of the last packet record, as a killed tcpdump without -U leaves it.
    const cut = scratchFile('eth0.pcap', '');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const exp = path.join(examplesDir, '02-external-dnat.yaml');
    const { code, stdout, stderr } = await run(['check', '--expect', exp, ...caps.filter((c) => c !== eth0), cut]);
    expect(stderr).toMatch(new RegExp(`^natflow: ${esc(cut)}: `));
    // The results are still printed, after the line that says the capture was cut short.
    expect(stdout).toMatch(/^(PASS|FAIL) {2}\[1\]/m);
    expect(code).toBe(2);
  });

  it('--init and --expect together are refused', async () => {
    const exp = path.join(examplesDir, '02-external-dnat.yaml');
    const { code, stderr } = await run(['check', '--init', '--expect', exp, ...scenarioCaptures('02-external-dnat')]);
    expect(code).toBe(2);
    expect(stderr).toBe('natflow: check: give either --expect FILE or --init, not both\n');
  });
});

describe('natflow check: noUnpaired and link-local control traffic', () => {
  it.skipIf(!haveScenario('13-ipv6-proxy'))('does not count IPv6 neighbor discovery and MLD, but still counts a connection without its other side', async () => {
    const dir = path.join(examplesDir, '../../captures', '13-ipv6-proxy');
    const truth = readTruth('13-ipv6-proxy');
    const remote = truth.find((c) => c.legs.some((l) => l.interfaces.includes('eth0')))!.legs.find((l) => l.interfaces.includes('eth0'))!.tuple;
    const exp = scratchFile('no-unpaired.yaml', 'global:\n  noUnpaired: true\n');
    // eth0 alone: the remote client's connection has no docker0 side to pair with.
    const alone = await run(['check', '--expect', exp, path.join(dir, 'eth0.pcap')]);
    expect(alone.code).toBe(1);
    const line = lines(alone.stdout)[0];
    expect(line).toMatch(/^FAIL {2}\[global\.noUnpaired\] no unpaired flows: noUnpaired: expected no unpaired flow, found 1 unpaired: /);
    expect(line).toContain(`[${remote.src}]:${remote.sport}`);
    expect(line).toMatch(/\(\d+ link-local control flows not counted: neighbor discovery, MLD\)/);
    // With every interface, only the control traffic is left, and that holds.
    const all = await run(['check', '--expect', exp, ...scenarioCaptures('13-ipv6-proxy')]);
    expect(all.code).toBe(0);
    expect(lines(all.stdout)[0]).toMatch(/^PASS {2}\[global\.noUnpaired\] .*none \(\d+ link-local control flows not counted/);
  });
});

describe('natflow check: state of a conversation seen in part at one capture point', () => {
  it.skipIf(!haveScenario('15b-container-to-published-noproxy'))('a capture point that saw only the SYN of a connection other legs saw answered does not make it unanswered', async () => {
    const exp = scratchFile('state-completed.yaml', 'expectations:\n  - match: { to: "*:5000", interface: "veth*" }\n    expect: { state: completed }\n');
    const { code, stdout } = await run(['check', '--expect', exp, ...scenarioCaptures('15b-container-to-published-noproxy')]);
    expect(lines(stdout)[0]).toMatch(/^PASS {2}\[1\]/);
    expect(code).toBe(0);
  });

  it.skipIf(!havePcaps)('a SYN nobody answered is still unanswered', async () => {
    const exp = scratchFile('state-syn.yaml', 'expectations:\n  - match: { to: "*:80" }\n    expect: { state: completed }\n');
    const { code, stdout } = await run(['check', '--expect', exp, path.join(pcapsDir, 'zeek', 'ipv4', 'fragmented-syn.pcap')]);
    expect(lines(stdout)[0]).toMatch(/^FAIL {2}\[1\] .*state: expected completed, found unanswered/);
    expect(code).toBe(1);
  });
});
