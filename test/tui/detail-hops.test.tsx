/** The detail pane's hop sections: a rule line only where a NAT rule can have done the rewrite. */
import { afterEach, describe, expect, it } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import process from 'node:process';
import { App } from '../../src/present/tui/components/app.js';
import { pipelineLoader } from '../../src/cli/commands/tui.js';
import { repoRoot } from '../helpers/paths.js';
import { KEY, waitFor } from './helpers.js';

process.chdir(repoRoot);
afterEach(() => cleanup());

/** Opens the first conversation and scrolls the detail down to its evidence; returns the screen. */
async function detailDownToEvidence(captures: string[]): Promise<string> {
  const ui = render(<App loader={pipelineLoader(captures)} noColor={true} />);
  const frame = (): string => ui.lastFrame() ?? '';
  await waitFor(() => frame().includes('shown'), 'results');
  ui.stdin.write(KEY.enter);
  await waitFor(() => frame().includes('[detail]'), 'detail');
  for (let i = 0; i < 60 && !frame().includes('Evidence ('); i++) {
    const before = frame();
    ui.stdin.write('j');
    await waitFor(() => frame() !== before, 'a line of scroll');
  }
  return frame();
}

/** The lines of hop `n`'s section: from its title to the next blank line. */
function hopSection(frame: string, n: number): string[] {
  const lines = frame.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`Hop ${n}: `));
  expect(start).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '');
  return lines.slice(start, end);
}

const DNAT_CAPTURES = ['eth0.pcap', 'docker0.pcap', 'veth2f22765.pcap'].map((f) => `captures/02-external-dnat/${f}`);

describe('natflow tui detail: rule lines', () => {
  it('02: the bridge hop (docker0 → the container\'s veth) has no rule line', async () => {
    const f = await detailDownToEvidence(DNAT_CAPTURES);
    const bridge = hopSection(f, 2);
    expect(bridge[0]).toMatch(/^Hop 2: f\d+ → f\d+ {2}bridge/);
    expect(bridge.join('\n')).toContain('rewrite:');
    expect(bridge.join('\n')).not.toContain('rule:');
  });

  it('02: the DNAT hop before it says its rule is unknown without --rules', async () => {
    const ui = render(<App loader={pipelineLoader(DNAT_CAPTURES)} noColor={true} />);
    const frame = (): string => ui.lastFrame() ?? '';
    await waitFor(() => frame().includes('shown'), 'results');
    ui.stdin.write(KEY.enter);
    await waitFor(() => frame().includes('Hop 1: '), 'detail');
    expect(hopSection(frame(), 1)).toContain('  rule: unknown (give --rules to name it)');
  });

  it('01: the docker-proxy hop has no rule line', async () => {
    const f = await detailDownToEvidence(['captures/01-localhost-proxy/lo.pcap', 'captures/01-localhost-proxy/docker0.pcap']);
    const proxy = hopSection(f, 1);
    expect(proxy[0]).toMatch(/^Hop 1: f\d+ → f\d+ {2}userland-proxy/);
    expect(proxy.join('\n')).not.toContain('rule:');
  });
});
