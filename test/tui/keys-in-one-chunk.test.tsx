/** Keys that reach the TUI in one input chunk (typed ahead, `tmux send-keys jj`, a paste) each count. */
import { afterEach, describe, expect, it } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import process from 'node:process';
import { App } from '../../src/present/tui/components/app.js';
import { pipelineLoader } from '../../src/cli/commands/tui.js';
import { repoRoot } from '../helpers/paths.js';
import { waitFor } from './helpers.js';

process.chdir(repoRoot);
afterEach(() => cleanup());

const CONCURRENT = ['captures/08-concurrent'];

/** The list's rows as shown, the selected one starting with `>`. */
function listRows(frame: string): string[] {
  return frame.split('\n').filter((l) => /^[> ](userland-proxy|dnat|snat|bridge|unpaired) /.test(l));
}

/** The TUI on 08-concurrent, once its results are listed. */
async function openWithResults(): Promise<{ ui: ReturnType<typeof render>; frame: () => string }> {
  const ui = render(<App loader={pipelineLoader(CONCURRENT)} noColor={true} />);
  const frame = (): string => ui.lastFrame() ?? '';
  await waitFor(() => frame().includes('shown'), 'results');
  return { ui, frame };
}

describe('natflow tui: several keys in one input chunk', () => {
  it('jj moves the cursor two rows, jjjj four more, kk two back', async () => {
    const { ui, frame } = await openWithResults();
    const selectedAt = (n: number): boolean => listRows(frame())[n]?.startsWith('>') === true;
    expect(listRows(frame()).length).toBeGreaterThanOrEqual(7);
    expect(selectedAt(0)).toBe(true);
    ui.stdin.write('jj');
    await waitFor(() => selectedAt(2), 'cursor on the third row');
    ui.stdin.write('jjjj');
    await waitFor(() => selectedAt(6), 'cursor on the seventh row');
    ui.stdin.write('kk');
    await waitFor(() => selectedAt(4), 'cursor on the fifth row');
    expect(listRows(frame()).filter((l) => l.startsWith('>'))).toHaveLength(1);
  });

  it('a filter typed with its Enter in one chunk is applied', async () => {
    const { ui, frame } = await openWithResults();
    ui.stdin.write('/');
    await waitFor(() => frame().includes('/█'), 'filter prompt');
    ui.stdin.write(':44300\r');
    await waitFor(() => frame().includes('filter ":44300"'), 'filter applied');
    expect(frame()).toMatch(/^1\/100 shown/m);
    expect(frame()).toMatch(/^>dnat /m);
    expect(frame()).toMatch(/^c\d+: 198\.18\.0\.2:44300 → /m);
  });

  it('in the detail pane jjj scrolls three lines', async () => {
    const { ui, frame } = await openWithResults();
    ui.stdin.write('\r');
    await waitFor(() => frame().includes('[detail]'), 'detail');
    const lines = frame().split('\n');
    // Line 4 of the screen is the pane's first line; after three lines of scroll it is the fourth.
    const paneTop = lines.findIndex((l) => l.startsWith('Legs ('));
    const fourth = lines[paneTop + 3];
    ui.stdin.write('jjj');
    await waitFor(() => frame().split('\n')[paneTop] === fourth, 'scrolled three lines', 3000);
  });
});
