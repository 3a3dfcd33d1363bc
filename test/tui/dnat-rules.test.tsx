import { afterEach, describe, expect, it } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { App } from '../../src/present/tui/components/app.js';
import { pipelineLoader } from '../../src/cli/commands/tui.js';
import { parseCaptureOptions } from '../../src/cli/capture-options.js';
import { repoRoot } from '../helpers/paths.js';
import { KEY, waitFor } from './helpers.js';

process.chdir(repoRoot);
afterEach(() => cleanup());

const DIR = 'captures/02-external-dnat';

describe('natflow tui on the external DNAT scenario with --rules, in an 80x24 terminal', () => {
  it('detail names the DNAT rule with its file and line; ISN preserved; ladder marks the NAT rewrite', async () => {
    const loader = pipelineLoader([`${DIR}/eth0.pcap`, `${DIR}/docker0.pcap`], parseCaptureOptions({ rules: [`${DIR}/iptables-save.txt`] }));
    const ui = render(<App loader={loader} noColor={false} />);
    Object.defineProperty(ui.stdout, 'columns', { value: 80, configurable: true });
    Object.defineProperty(ui.stdout, 'rows', { value: 24, configurable: true });
    ui.stdout.emit('resize');
    const frame = (): string => ui.lastFrame() ?? '';
    await waitFor(() => frame().includes('shown'), 'results');
    // At 80 columns the tuples keep what DNAT rewrote: the published address, then the container's.
    expect(frame()).toMatch(/>dnat +…→198\.18\.0\.1:5000 +…→172\.17\.0\.2:5000 /);
    // The line under the list has them whole.
    expect(frame()).toMatch(/198\.18\.0\.2:(\d+) → 198\.18\.0\.1:5000 {2}⇒ {2}198\.18\.0\.2:\1 → 172\.17\.0\.2:5000/);
    for (const line of frame().split('\n')) expect(line.length).toBeLessThanOrEqual(80);

    ui.stdin.write(KEY.enter);
    await waitFor(() => frame().includes('[detail]'), 'detail');
    // The rule line may be wrapped at 80 columns: join the frame's lines before matching.
    const flat = (): string => frame().replace(/\n\s+/g, ' ');
    expect(flat()).toMatch(/rule: nat\/DOCKER: -A DOCKER ! -i docker0 -p tcp -m tcp --dport 5000 -j DNAT --to-destination 172\.17\.0\.2:5000 \(captures\/02-external-dnat\/iptables-save\.txt:\d+\)/);
    for (let i = 0; i < 8; i++) ui.stdin.write('j');
    await waitFor(() => /isn +\d+ +\d+ +preserved/.test(frame()), 'ISN row');
    // Kernel DNAT keeps the ISN on both legs (docker-nat-facts §2).
    const isn = /isn +(\d+) +(\d+)/.exec(frame())!;
    expect(isn[1]).toBe(isn[2]);

    ui.stdin.write('l');
    await waitFor(() => frame().includes('[ladder]'), 'ladder');
    expect(frame()).toMatch(/client +NAT +server/);
    expect(frame()).toMatch(/◆ NAT rewrite: /);
    for (const line of frame().split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });
});
