/**
 * What analyze infers from side inputs must say what happened, no more: an unused published port
 * is not a contradiction, a refused connection's missing conntrack entry is expected (observed:
 * NEW then DESTROY within microseconds, captures/README.md), and one connection recorded in
 * three files is still one connection with two tuples.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { parseCaptureOptions } from '../../src/cli/capture-options.js';
import { capturesDir } from '../helpers/paths.js';

const dir = (name: string) => join(capturesDir, name);
const have = (name: string) => existsSync(join(dir(name), 'truth.json'));

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
