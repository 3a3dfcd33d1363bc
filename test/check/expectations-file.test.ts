import { describe, expect, it } from 'vitest';
import { ExpectationsError, parseExpectations } from '../../src/check/load-expectations.js';

function problems(yaml: string): string[] {
  try {
    parseExpectations(yaml, 'exp.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ExpectationsError);
    return (err as ExpectationsError).lines();
  }
  throw new Error('expected the file to be rejected');
}

describe('expectations file: valid input', () => {
  it('reads a protocol number as the name the flow summaries write (2 = igmp), and takes that name too', () => {
    const set = parseExpectations(['version: 1', 'expectations:', '  - match: { protocol: [2, IGMP, gre, 6, 253] }', '    expect: { count: none }'].join('\n'), 'exp.yaml');
    // 253 (experimental) has no name: summaries write the number, so the selector keeps it.
    expect(set.expectations[0].match.protocol).toEqual(['igmp', 'igmp', 'gre', 'tcp', '253']);
  });

  it('reads selectors and assertions with their lines', () => {
    const set = parseExpectations(
      [
        'version: 1',
        'expectations:',
        '  - name: api via DNAT',
        '    match:',
        '      to: 198.18.0.1:5000',
        '      protocol: tcp',
        '      http.path: /api/*',
        '    expect:',
        '      via: dnat',
        '      reaches: 172.17.0.0/16:5000',
        '      clientIpPreserved: true',
        '      minConfidence: 0.8',
        '      count: ">= 2"',
        '      maxLatency: 200us',
        '      state: completed',
        '  - match: { to: "*:53", dns.qname: "*.example.com" }',
        '    expect: { count: none }',
        'global:',
        '  noUnpaired: [eth0, docker0]',
        '  noMechanism: userland-proxy',
        '  maxRetransmissions: 0',
      ].join('\n'),
      'exp.yaml',
    );
    expect(set.expectations).toHaveLength(2);
    const [a, b] = set.expectations;
    expect(a.name).toBe('api via DNAT');
    expect(a.pos.line).toBe(3);
    expect(a.match.to?.text).toBe('198.18.0.1:5000');
    expect(a.match.protocol).toEqual(['tcp']);
    expect(a.expect.via).toEqual(['dnat']);
    expect(a.expect.clientIpPreserved).toBe(true);
    expect(a.expect.count).toEqual({ min: 2, max: null });
    expect(a.expect.maxLatency).toBeCloseTo(200e-6, 12);
    expect(a.expect.state).toEqual(['completed']);
    expect(b.pos.line).toBe(16);
    expect(b.expect.count).toEqual({ min: 0, max: 0 });
    expect(set.global.map((g) => [g.kind, g.pos.line])).toEqual([
      ['noUnpaired', 19],
      ['noMechanism', 20],
      ['maxRetransmissions', 21],
    ]);
  });

  it('accepts count as a mapping and a bare list of expectations', () => {
    const set = parseExpectations('- expect:\n    count: { atLeast: 1, atMost: 3 }\n- expect: { count: { exactly: 0 } }\n', 'x.yaml');
    expect(set.expectations.map((e) => e.expect.count)).toEqual([
      { min: 1, max: 3 },
      { min: 0, max: 0 },
    ]);
  });
});

describe('expectations file: errors name the line and column', () => {
  it('unknown key with a suggestion', () => {
    const lines = problems('expectations:\n  - match:\n      to: 198.18.0.1:5000\n    expect:\n      reachs: 172.17.0.2:5000\n');
    expect(lines).toEqual(['exp.yaml:5:7: unknown key "reachs" in expectation 1 expect: did you mean "reaches"?']);
  });

  it('misspelt mechanism value', () => {
    const lines = problems('expectations:\n  - expect:\n      via: userland_proxy\n');
    expect(lines).toEqual(['exp.yaml:3:12: via: unknown mechanism "userland_proxy": did you mean "userland-proxy"?']);
  });

  it('assertion placed under match says where it belongs', () => {
    const lines = problems('expectations:\n  - match:\n      via: dnat\n');
    expect(lines[0]).toBe('exp.yaml:3:7: unknown key "via" in expectation 1 match: "via" is an assertion: put it under "expect:"');
  });

  it('unquoted wildcard is explained rather than reported as a dangling alias', () => {
    const lines = problems('expectations:\n  - match:\n      to: *:5000\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^exp\.yaml:3:11: .*quote values that start with "\*"/);
  });

  it('unquoted IPv6 endpoint gets a hint', () => {
    const lines = problems('expectations:\n  - match:\n      to: [::1]:5000\n');
    expect(lines[0]).toMatch(/^exp\.yaml:3:\d+: invalid YAML: .*quote IPv6 endpoints/);
  });

  it('malformed YAML reports the parser position', () => {
    const lines = problems('expectations:\n  - match: { to: "198.18.0.1:5000"\n    expect: {}\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^exp\.yaml:\d+:\d+: invalid YAML: /);
  });

  it('bad values: endpoint, duration, count, confidence, state', () => {
    const lines = problems(
      [
        'expectations:',
        '  - match:',
        '      to: 300.1.2.3:80',
        '    expect:',
        '      maxLatency: 5',
        '      count: "about 3"',
        '      minConfidence: 1.5',
        '      state: done',
        '      clientIpPreserved: yes',
      ].join('\n'),
    );
    expect(lines).toEqual([
      'exp.yaml:3:11: to: "300.1.2.3" is not an IP address or CIDR prefix (write IPv6 with a port as "[::1]:5000")',
      'exp.yaml:5:19: maxLatency: "5" is not a duration (write e.g. 5ms, 200us, 1s)',
      'exp.yaml:6:14: count: "about 3" is not a count (write 3, ">= 1", "<= 2" or none)',
      'exp.yaml:7:22: minConfidence must be a number between 0 and 1, e.g. 0.9',
      'exp.yaml:8:14: unknown state "done" (one of: completed, reset, refused, unanswered)',
      'exp.yaml:9:26: clientIpPreserved must be true or false',
    ]);
  });

  it('duplicate keys, empty file, unknown top-level key', () => {
    expect(problems('expectations:\n  - expect: { via: dnat, via: snat }\n')[0]).toMatch(/^exp\.yaml:2:\d+: duplicate key/);
    expect(problems('')).toEqual(['exp.yaml:1:1: the expectations file is empty: it needs an "expectations:" list or a "global:" map']);
    expect(problems('expectation:\n  - {}\n')).toEqual(['exp.yaml:1:1: unknown key "expectation" in top level: did you mean "expectations"?']);
  });

  it('global keys in the wrong place, and bad global values', () => {
    expect(problems('expectations:\n  - noUnpaired: true\n')).toEqual([
      'exp.yaml:2:5: unknown key "noUnpaired" in expectation 1: "noUnpaired" is a global assertion: put it under the top-level "global:"',
    ]);
    expect(problems('global:\n  maxRetransmissions: -1\n  noMechanism: dnatt\n')).toEqual([
      'exp.yaml:2:23: maxRetransmissions must be a whole number ≥ 0',
      'exp.yaml:3:16: noMechanism: unknown mechanism "dnatt": did you mean "dnat"?',
    ]);
  });
});
