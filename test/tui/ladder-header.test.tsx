/** The ladder's column headers never run into each other, however narrow the terminal. */
import { afterEach, describe, expect, it } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import process from 'node:process';
import { App } from '../../src/present/tui/components/app.js';
import { pipelineLoader } from '../../src/cli/commands/tui.js';
import { labelRow } from '../../src/present/tui/ladder-header.js';
import { repoRoot } from '../helpers/paths.js';
import { KEY, waitFor } from './helpers.js';

process.chdir(repoRoot);
afterEach(() => cleanup());

const EP = String.raw`(?:\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\]):\d+`;
/** A header word: an endpoint, a hop's `in|out` pair, or the beginning of one cut with an ellipsis. */
const WORD = new RegExp(String.raw`^(?:${EP}(?:\|${EP})?|[0-9a-f.:\[\]|]+…)$`);

/** The first conversation's ladder pane, `columns` wide when given; returns the current frame. */
async function openLadder(dir: string, columns?: number): Promise<() => string> {
  const ui = render(<App loader={pipelineLoader([dir])} noColor={true} />);
  if (columns !== undefined) {
    Object.defineProperty(ui.stdout, 'columns', { value: columns, configurable: true });
    ui.stdout.emit('resize');
  }
  const frame = (): string => ui.lastFrame() ?? '';
  await waitFor(() => frame().includes('shown'), 'results');
  ui.stdin.write(KEY.enter);
  await waitFor(() => frame().includes('[detail]'), 'detail');
  ui.stdin.write('l');
  await waitFor(() => frame().includes('[ladder]'), 'ladder');
  return frame;
}

/** The ladder's header rows at `columns` wide: roles, endpoint row(s), interfaces. */
async function ladderHeader(dir: string, columns: number): Promise<string[]> {
  const frame = await openLadder(dir, columns);
  const lines = frame().split('\n');
  const roles = lines.findIndex((l) => /^ +client /.test(l));
  const ifaces = lines.findIndex((l) => /^ +│ +\[/.test(l));
  expect(roles).toBeGreaterThan(0);
  expect(ifaces).toBeGreaterThan(roles + 1);
  for (const l of lines) expect(l.length).toBeLessThanOrEqual(columns);
  return lines.slice(roles, ifaces);
}

describe('natflow tui ladder headers', () => {
  it('02 at 80 columns: four columns, every endpoint whole and apart from its neighbours', async () => {
    const [roles, ...eps] = await ladderHeader('captures/02-external-dnat', 80);
    expect(roles.trim().split(/\s+/)).toEqual(['client', 'NAT', 'bridge', 'server']);
    for (const row of eps) for (const w of row.trim().split(/\s+/)) expect(w).toMatch(WORD);
    const words = eps.flatMap((r) => r.trim().split(/\s+/));
    // The published address, the container's, and the client's on both sides of each hop.
    expect(words.filter((w) => w === '198.18.0.1:5000')).toHaveLength(1);
    expect(words.filter((w) => w === '172.17.0.2:5000')).toHaveLength(2);
    expect(words.filter((w) => /^198\.18\.0\.2:\d+$/.test(w))).toHaveLength(3);
  });

  it('01 at 80 columns: the client, docker-proxy and server columns are told apart', async () => {
    const [roles, ...eps] = await ladderHeader('captures/01-localhost-proxy', 80);
    expect(roles.trim().split(/\s+/)).toEqual(['client', 'docker-proxy', 'bridge', 'server']);
    for (const row of eps) for (const w of row.trim().split(/\s+/)) expect(w).toMatch(WORD);
    const words = eps.flatMap((r) => r.trim().split(/\s+/));
    expect(words[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(words).toContain('127.0.0.1:5000');
    expect(words.filter((w) => /^172\.17\.0\.1:\d+$/.test(w))).toHaveLength(2);
  });

  it('05a at 80 columns: five columns; words may be cut, never joined', async () => {
    const [roles, ...eps] = await ladderHeader('captures/05a-hairpin-proxy', 80);
    expect(roles.trim().split(/\s+/)).toEqual(['client', 'bridge', 'docker-proxy', 'bridge', 'server']);
    for (const row of eps) for (const w of row.trim().split(/\s+/)) expect(w).toMatch(WORD);
  });

  it('labels of any length in any width keep their order and a blank between them', () => {
    for (let width = 30; width <= 160; width += 7) {
      for (const n of [2, 3, 4, 5, 6]) {
        const xs = Array.from({ length: n }, (_, k) => 12 + Math.round((k * (width - 15)) / (n - 1)));
        for (const len of [1, 6, 15, 31, 60]) {
          // Label k is made of the letter k, so each label can be found in the row.
          const labels = Array.from({ length: n }, (_, k) => String.fromCharCode(97 + k).repeat(k % 2 ? len : Math.ceil(len / 2)));
          const row = labelRow(labels, xs, width).text;
          expect(row.length).toBeLessThanOrEqual(width);
          const words = row.trim().split(/ +/);
          expect(words).toHaveLength(n);
          words.forEach((w, k) => expect(w).toMatch(new RegExp(`^${String.fromCharCode(97 + k)}+…?$|^…$`)));
        }
      }
    }
  });
});

describe('natflow tui ladder hop markers', () => {
  it('02: the bridge hop is marked as bridged, not as a NAT rewrite', async () => {
    const frame = await openLadder('captures/02-external-dnat');
    expect(frame()).toMatch(/◆ NAT rewrite: dst 198\.18\.0\.1:5000 → 172\.17\.0\.2:5000/);
    expect(frame()).toContain('◆ no rewrite (bridged)');
    expect(frame()).not.toContain('NAT rewrite: no rewrite');
  });
});
