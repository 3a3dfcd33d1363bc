/**
 * Opt-in integration test: records scenario 01 live with captures/record.sh into a temp dir and
 * checks the new recording's shape, so the recorder itself keeps working. Needs root, `ip netns`
 * and the capture tools; otherwise it is skipped and says why. NATFLOW_SKIP_LIVE=1 opts out.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capturesDir } from '../helpers/paths.js';
import { hasCommand } from '../helpers/tools.js';
import { readJson as loadJson } from '../helpers/scenario-dir.js';
import { indexCapture, tupleKey } from './lab-captures.js';
import type { ScenarioMeta as Meta, Truth } from '../helpers/truth.js';

function whySkip(): string | null {
  if (process.env.NATFLOW_SKIP_LIVE === '1') return 'NATFLOW_SKIP_LIVE=1';
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
  if (spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0) return '`ip netns` is unavailable';
  const missing = ['tcpdump', 'dumpcap', 'tshark', 'socat', 'conntrack', 'iptables-restore', 'python3'].filter((c) => !hasCommand(c));
  // record.sh would apt-get them; a test must not install packages behind the user's back.
  if (missing.length > 0) return `missing tools: ${missing.join(', ')}`;
  return null;
}

const skip = whySkip();
if (skip) console.warn(`record-live: skipped: ${skip}`);

describe.skipIf(skip !== null)('record.sh records scenario 01 live', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'natflow-live-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const netnsBefore = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const rootRules = () =>
    execFileSync('iptables-save', { encoding: 'utf8' })
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');

  it('builds the lab, captures, derives the truth and tears everything down', { timeout: 60_000 }, async () => {
    const nsBefore = netnsBefore();
    const rulesBefore = rootRules();
    const t0 = Date.now();
    const run = spawnSync('bash', [path.join(capturesDir, 'record.sh'), '1', '--out', out], {
      encoding: 'utf8',
      timeout: 55_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(55_000);

    // Nothing left behind, nothing touched in the root namespace.
    expect(netnsBefore()).toBe(nsBefore);
    expect(rootRules()).toBe(rulesBefore);

    for (const f of ['lo.pcap', 'docker0.pcap', 'eth0.pcap', 'any.pcap', 'all.pcapng', 'meta.json', 'truth.json',
      'conntrack.txt', 'iptables-save.txt', 'ip-link.txt', 'addresses.txt']) {
      expect(existsSync(path.join(out, f)), f).toBe(true);
    }
    const meta = loadJson<Meta>(path.join(out, 'meta.json'));
    expect(meta.mode).toBe('userland-proxy');

    // lo: the client's connection to the proxy, answered by the proxy.
    const lo = await indexCapture(path.join(out, 'lo.pcap'), () => 'lo');
    const toProxy = [...lo.byTuple.entries()].filter(([k, v]) => /\|tcp 127\.0\.0\.1:\d+ > 127\.0\.0\.1:5000$/.test(k) && v.synSeq !== null);
    expect(toProxy).toHaveLength(1);
    const clientPort = /:(\d+) >/.exec(toProxy[0][0])![1];
    expect(lo.byTuple.has(`lo|tcp 127.0.0.1:5000 > 127.0.0.1:${clientPort}`)).toBe(true);

    // docker0: the proxy's own connection from the bridge address to the container.
    const d0 = await indexCapture(path.join(out, 'docker0.pcap'), () => 'docker0');
    const upstream = [...d0.byTuple.entries()].filter(([k, v]) => /\|tcp 172\.17\.0\.1:\d+ > 172\.17\.0\.2:5000$/.test(k) && v.synSeq !== null);
    expect(upstream).toHaveLength(1);
    expect(upstream[0][1].synSeq).not.toBe(toProxy[0][1].synSeq);

    const truth = loadJson<Truth>(path.join(out, 'truth.json'));
    expect(truth.conversations).toHaveLength(1);
    const [c] = truth.conversations;
    expect(c.mechanism).toBe('userland-proxy');
    expect(c.linkedBy).toBe('marker');
    expect(c.legs.map((l) => `${l.interfaces[0]}|${tupleKey(l.tuple)}`)).toEqual([toProxy[0][0], upstream[0][0]]);
  });
});
