/**
 * What a CI job sees when a capture is damaged, missing or empty. The exit code is 2, but a
 * report step that runs whatever the exit code (`if: always()`, `artifacts: when: always`) shows
 * only the report: every output must say the input was bad, and none may read as a pass.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findAll, parseXml } from './xml-tree.js';
import { runCli as run } from '../helpers/run-cli.js';
import { scenarioCaptures } from '../helpers/scenario-dir.js';
import { scratchFile, scratchPath } from './check-fixtures.js';

afterEach(() => vi.restoreAllMocks());

function lines(s: string): string[] {
  return s.trimEnd().split('\n');
}

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface JsonReport {
  passed: boolean;
  total: number;
  failures: number;
  notEvaluated?: number;
  inputErrors?: { file: string; message: string; offset: number | null; packets: number }[];
  results: { id: string; passed: boolean; error?: string; assertions: unknown[] }[];
}

/** Where a classic pcap's last whole record ends, and how many records come before it. */
function wholeRecords(bytes: Buffer): { end: number; records: number } {
  let at = 24;
  let records = 0;
  while (at + 16 <= bytes.length) {
    const caplen = bytes.readUInt32LE(at + 8);
    if (at + 16 + caplen > bytes.length) break;
    at += 16 + caplen;
    records++;
  }
  return { end: at, records };
}

describe('natflow check on a capture cut short: every output says so', () => {
  // 02's per-interface captures, eth0.pcap cut in its last record as a killed tcpdump leaves it,
  // and expectations that all hold on what was read: the case that looked green.
  const caps = scenarioCaptures('02-external-dnat');
  const eth0 = caps.find((c) => c.endsWith('eth0.pcap'))!;
  const full = readFileSync(eth0);
  const dir = scratchPath('cut-02');
  mkdirSync(dir, { recursive: true });
  const cut = path.join(dir, 'eth0.pcap');
  writeFileSync(cut, full.subarray(0, full.length - 10));
  const { end, records } = wholeRecords(full.subarray(0, full.length - 10));
  const args = [...caps.filter((c) => c !== eth0), cut];
  const exp = scratchFile(
    'holds-on-cut.yaml',
    ['expectations:', '  - match: { to: "198.18.0.1:5000" }', '    expect: { via: dnat, reaches: "172.17.0.2:5000" }', 'global:', '  noMechanism: userland-proxy', '  noUnpaired: true', ''].join('\n'),
  );

  it('text: a line names the file and the byte, the results are said to cover only what was read, and the summary is not a pass', async () => {
    const { code, stdout, stderr } = await run(['check', '--expect', exp, ...args]);
    expect(code).toBe(2);
    // stderr as documented, unchanged.
    expect(stderr).toMatch(new RegExp(`^natflow: ${esc(cut)}: truncated record \\(.*\\) at byte ${end}\\n$`));
    const out = lines(stdout);
    expect(out[0]).toMatch(
      new RegExp(`^ERROR \\[input\\] ${esc(cut)}: truncated record \\(.*\\) at byte ${end}; the results cover only the ${records} packets read from it before that byte$`),
    );
    // What was read is still evaluated, and all of it holds ...
    expect(out.slice(1, -1).every((l) => l.startsWith('PASS  ['))).toBe(true);
    expect(out.slice(1, -1)).toHaveLength(3);
    // ... but the summary says the input was bad, and nowhere that all expectations hold.
    expect(out.at(-1)).toBe(`natflow check: not passed, 1 input error: on what was read, 3 of 3 expectations held, 0 failed (${exp})`);
    expect(stdout).not.toMatch(/all \d+ expectations hold/);
  });

  it('--json: passed is false, inputErrors names the file, the byte and the packets read before it', async () => {
    const { code, stdout } = await run(['check', '--expect', exp, '--json', ...args]);
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as JsonReport;
    expect(report.passed).toBe(false);
    expect(report.inputErrors).toHaveLength(1);
    expect(report.inputErrors![0]).toMatchObject({ file: cut, offset: end, packets: records });
    expect(report.inputErrors![0].message).toMatch(new RegExp(`^truncated record \\(.*\\) at byte ${end}$`));
    expect(report.results.map((r) => r.passed)).toEqual([true, true, true]);
    expect(report.failures).toBe(0);
  });

  it('--junit: an <error> test case named after the file; the suite counts it', async () => {
    const junit = scratchPath('cut-junit.xml');
    const { code } = await run(['check', '--expect', exp, '--junit', junit, ...args]);
    expect(code).toBe(2);
    const root = parseXml(readFileSync(junit, 'utf8'));
    for (const el of [...findAll(root, 'testsuites'), ...findAll(root, 'testsuite')]) {
      expect(el.attrs.errors).toBe('1');
      expect(el.attrs.tests).toBe('4');
      expect(el.attrs.failures).toBe('0');
    }
    const cases = findAll(root, 'testcase');
    expect(cases[0].attrs.name).toBe(`[input] ${cut}`);
    const error = findAll(cases[0], 'error');
    expect(error).toHaveLength(1);
    expect(error[0].attrs.message).toMatch(new RegExp(`^${esc(cut)}: truncated record \\(.*\\) at byte ${end}; the results cover only the ${records} packets`));
    expect(cases.slice(1).map((c) => findAll(c, 'error').length + findAll(c, 'failure').length)).toEqual([0, 0, 0]);
  });
});

describe('natflow check on no packets at all: nothing is evaluated, nothing passes', () => {
  // Expectations that hold vacuously on nothing: no unpaired flow, no proxy, no conversation to :9.
  const exp = scratchFile(
    'vacuous.yaml',
    ['expectations:', '  - match: { to: "*:9" }', '    expect: { count: none }', 'global:', '  noUnpaired: true', '  noMechanism: userland-proxy', ''].join('\n'),
  );
  const docker0 = scenarioCaptures('02-external-dnat').find((c) => c.endsWith('docker0.pcap'))!;
  const inputs: [string, () => string, RegExp][] = [
    ['a missing capture', () => scratchPath('missing.pcap'), /^cannot open: no such file \(ENOENT\) at byte 0$/],
    ['an empty (0-byte) capture', () => scratchFile('zero.pcap', ''), /^empty file at byte 0$/],
    // A valid file header and not one packet: tcpdump on the wrong interface.
    [
      'a capture with a header and no packet',
      () => {
        const p = scratchPath('header-only.pcap');
        writeFileSync(p, readFileSync(docker0).subarray(0, 24));
        return p;
      },
      /^no packets$/,
    ],
  ];

  it.each(inputs)('%s: text, JSON and JUnit report every expectation as not evaluated, exit 2', async (_what, make, message) => {
    const capture = make();
    const text = await run(['check', '--expect', exp, capture]);
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(new RegExp(`^natflow: ${esc(capture)}: `));
    const out = lines(text.stdout);
    expect(out.filter((l) => l.startsWith('PASS'))).toEqual([]);
    expect(out[0]).toMatch(new RegExp(`^ERROR \\[input\\] ${esc(capture)}: `));
    expect(out.slice(1, -1)).toEqual([
      'ERROR [1] to *:9: not evaluated: no packets were read',
      'ERROR [global.noUnpaired] no unpaired flows: not evaluated: no packets were read',
      'ERROR [global.noMechanism] no conversation via userland-proxy: not evaluated: no packets were read',
    ]);
    expect(out.at(-1)).toBe(`natflow check: not passed, 1 input error: no packets were read, none of the 3 expectations was evaluated (${exp})`);

    const junit = scratchPath('nothing-junit.xml');
    const json = await run(['check', '--expect', exp, '--json', '--junit', junit, capture]);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout) as JsonReport;
    expect(report.passed).toBe(false);
    expect(report.notEvaluated).toBe(3);
    expect(report.inputErrors).toHaveLength(1);
    expect(report.inputErrors![0].file).toBe(capture);
    expect(report.inputErrors![0].message).toMatch(message);
    expect(report.results.map((r) => [r.passed, r.error])).toEqual(Array(3).fill([false, 'not evaluated: no packets were read']));

    const root = parseXml(readFileSync(junit, 'utf8'));
    const suite = findAll(root, 'testsuite')[0];
    expect([suite.attrs.tests, suite.attrs.failures, suite.attrs.errors]).toEqual(['4', '0', '4']);
    // Every test case carries an <error>: none reads as passed.
    expect(findAll(root, 'testcase').map((c) => findAll(c, 'error').length)).toEqual([1, 1, 1, 1]);
  });

  it('one empty capture beside a readable one: the expectations are evaluated on the readable one, the report still does not pass', async () => {
    const zero = scratchFile('zero-beside.pcap', '');
    const { code, stdout } = await run(['check', '--expect', exp, '--json', zero, docker0]);
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as JsonReport;
    expect(report.passed).toBe(false);
    expect(report.notEvaluated).toBeUndefined();
    expect(report.inputErrors).toEqual([{ file: zero, message: 'empty file at byte 0', offset: 0, packets: 0 }]);
  });
});

describe('natflow check --init on a damaged capture', () => {
  it('the generated file says which capture was cut short, and the exit code is 2', async () => {
    const caps = scenarioCaptures('02-external-dnat');
    const eth0 = caps.find((c) => c.endsWith('eth0.pcap'))!;
    const full = readFileSync(eth0);
    const cut = scratchPath('init-cut-eth0.pcap');
    writeFileSync(cut, full.subarray(0, full.length - 10));
    const { end } = wholeRecords(full.subarray(0, full.length - 10));
    const { code, stdout } = await run(['check', '--init', cut]);
    expect(code).toBe(2);
    expect(stdout).toMatch(new RegExp(`^# INPUT ERROR: ${esc(cut)}: truncated record \\(.*\\) at byte ${end}; the results cover only`, 'm'));
  });
});
