/** The list's ENTRY and FINAL columns at narrow widths keep the side the NAT rewrote. */
import { afterEach, describe, expect, it } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import process from 'node:process';
import { App } from '../../src/present/tui/components/app.js';
import { pipelineLoader } from '../../src/cli/commands/tui.js';
import { repoRoot } from '../helpers/paths.js';
import { waitFor } from './helpers.js';

process.chdir(repoRoot);
afterEach(() => cleanup());

/** The list rows of `captures` in a terminal `columns` wide. */
async function listAt(captures: string[], columns: number): Promise<string[]> {
  const ui = render(<App loader={pipelineLoader(captures)} noColor={true} />);
  Object.defineProperty(ui.stdout, 'columns', { value: columns, configurable: true });
  ui.stdout.emit('resize');
  const frame = (): string => ui.lastFrame() ?? '';
  await waitFor(() => frame().includes('shown'), 'results');
  const lines = frame().split('\n');
  for (const l of lines) expect(l.length).toBeLessThanOrEqual(columns);
  return lines.filter((l) => /^[> ](userland-proxy|dnat\+snat|dnat|snat|bridge|unpaired) /.test(l));
}

describe('natflow tui list at 80 columns', () => {
  it('08 (DNAT to two published ports): the published address and port, then the container', async () => {
    const rows = await listAt(['captures/08-concurrent'], 80);
    const dnat = rows.filter((r) => /^[> ]dnat /.test(r));
    expect(dnat.length).toBeGreaterThan(10);
    for (const r of dnat) expect(r).toMatch(/^[> ]dnat +…→198\.18\.0\.1:(5000|5001) +…→172\.17\.0\.[23]:5000 /);
    // Both published ports and both containers are told apart.
    expect(new Set(dnat.map((r) => /:(500[01]) /.exec(r)?.[1])).size).toBe(2);
    expect(new Set(dnat.map((r) => /172\.17\.0\.(\d)/.exec(r)?.[1])).size).toBe(2);
  });

  it('01 (docker-proxy): the port on localhost, then the container', async () => {
    const rows = await listAt(['captures/01-localhost-proxy'], 80);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^>userland-proxy +…→127\.0\.0\.1:5000 +…→172\.17\.0\.2:5000 /);
  });

  it('04 (MASQUERADE, one source port remapped): the sources whole, the peer without its port', async () => {
    const rows = await listAt(['captures/04-port-collision'], 80);
    expect(rows.length).toBeGreaterThan(1);
    for (const r of rows) expect(r).toMatch(/^[> ]snat +172\.17\.0\.[23]:\d+\S* +198\.18\.0\.1:\d+/);
    // At 100 columns the peer's port goes, not its address: the second container's 40000 left
    // the host as another port.
    const wider = await listAt(['captures/04-port-collision'], 100);
    expect(wider.some((r) => /^[> ]snat +172\.17\.0\.3:40000→198\.18\.0\.2 +198\.18\.0\.1:(?!40000)\d+→198\.18\.0\.2 /.test(r))).toBe(true);
  });
});
