import { afterEach, describe, expect, it } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { App } from '../../src/present/tui/components/app.js';
import { pipelineLoader } from '../../src/cli/commands/tui.js';
import { parseSelection } from '../../src/present/select-conversations.js';
import { repoRoot } from '../helpers/paths.js';
import { haveScenario, readScenarioJson, scenarioCaptures } from '../helpers/scenario-dir.js';
import type { Truth } from '../helpers/truth.js';
import { waitFor } from './helpers.js';

process.chdir(repoRoot);
afterEach(() => cleanup());

describe.skipIf(!haveScenario('04-port-collision'))('natflow tui --match on 04 (two containers behind MASQUERADE)', () => {
  it('lists only the conversations of the container asked about', async () => {
    const selection = parseSelection(['172.17.0.3'], undefined);
    if (typeof selection === 'string') throw new Error(selection);
    const ui = render(<App loader={pipelineLoader(scenarioCaptures('04-port-collision'), undefined, selection)} noColor={true} />);
    Object.defineProperty(ui.stdout, 'columns', { value: 120, configurable: true });
    Object.defineProperty(ui.stdout, 'rows', { value: 30, configurable: true });
    ui.stdout.emit('resize');
    const frame = (): string => ui.lastFrame() ?? '';
    await waitFor(() => frame().includes('shown'), 'results');
    const truth = readScenarioJson<Truth>('04-port-collision', 'truth.json').conversations;
    const expected = truth.filter((c) => c.legs.some((l) => l.tuple.src === '172.17.0.3')).length;
    const rows = frame().split('\n').filter((l) => /^[> ]snat /.test(l));
    expect(rows).toHaveLength(expected);
    for (const r of rows) expect(r).toContain('172.17.0.3');
    expect(frame()).not.toContain('172.17.0.2:40000');
    // The header says the list is a selection, and of how many.
    expect(frame()).toContain(`${expected} correlated (snat ${expected}), 0 unpaired`);
    expect(frame()).toContain(`selected by --match 172.17.0.3 (of ${truth.length} correlated, 0 unpaired) · clock offsets:`);
  });
});
