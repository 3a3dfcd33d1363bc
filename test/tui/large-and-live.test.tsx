import { afterEach, describe, expect, it } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { App } from '../../src/present/tui/components/app.js';
import type { TuiData, TuiLoader, TuiProgress } from '../../src/present/tui/load-source.js';
import type { Analysis, FlowSummary } from '../../src/correlate/model.js';
import { buildRows, visibleIndices } from '../../src/present/tui/list-rows.js';
import { KEY, tick, waitFor } from './helpers.js';

afterEach(() => cleanup());

const N = 100_000;

/** 100,000 unpaired flows with distinct ports; flow i has i % 97 packets. */
function bigAnalysis(): Analysis {
  const flows: FlowSummary[] = [];
  for (let i = 0; i < N; i++) {
    flows.push({
      id: `f${i + 1}`,
      iface: i % 2 ? 'docker0' : 'eth0',
      proto: 'tcp',
      src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${1024 + (i % 60000)}`,
      dst: '172.17.0.2:80',
      communityId: '',
      firstTs: (1_700_000_000 + i / 1000).toFixed(6),
      lastTs: (1_700_000_000 + i / 1000 + 0.5).toFixed(6),
      packets: i % 97,
      bytes: 0,
      state: 'closed-fin',
      app: null,
    });
  }
  return { version: 't', captures: [], flows, correlations: [], unpaired: flows.map((f) => f.id), summary: '', inferences: [] };
}

function frameRows(frame: string): string[] {
  return frame.split('\n').filter((l) => /^[> ]unpaired/.test(l));
}

describe('100,000 rows', () => {
  const analysis = bigAnalysis();
  const loader: TuiLoader = async () => ({ analysis, flows: [], errors: [] });

  it('filter and sort over 100,000 rows take well under a second', () => {
    const rows = buildRows(analysis);
    const t0 = performance.now();
    const hit = visibleIndices(rows, '10.1.134.159:', 'time');
    const sorted = visibleIndices(rows, '', 'packets');
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(hit.map((i) => rows[i].id)).toEqual(['f100000']);
    expect(rows[sorted[0]].packets).toBe(96);
    expect(rows[sorted[N - 1]].packets).toBe(0);
  });

  it('renders only the visible rows and stays responsive to End, PgUp and k', async () => {
    const ui = render(<App loader={loader} noColor={true} />);
    await waitFor(() => (ui.lastFrame() ?? '').includes('100000/100000 shown'), 'big list', 30_000);
    const first = ui.lastFrame()!;
    const shown = frameRows(first);
    // 24-row terminal: 23 rows of output minus header (2), column titles, preview line and footer.
    expect(shown.length).toBe(23 - 2 - 1 - 1 - 1);
    expect(shown[0]).toContain('10.0.0.0:1024→172.17.0.2:80');
    const t0 = performance.now();
    ui.stdin.write(KEY.end);
    // Its source port makes the tuple a character too long for 100 columns: the port goes first.
    await waitFor(() => (ui.lastFrame() ?? '').includes('>unpaired       10.1.134.159→172.17.0.2:80'), 'last row selected');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(frameRows(ui.lastFrame()!).length).toBe(shown.length);
    ui.stdin.write(KEY.up);
    await waitFor(() => (ui.lastFrame() ?? '').includes('>unpaired       10.1.134.158'), 'k moved up');
  });

  it('filter applies over 100,000 rows and Esc restores them', async () => {
    const ui = render(<App loader={loader} noColor={true} />);
    await waitFor(() => (ui.lastFrame() ?? '').includes('100000/100000 shown'), 'big list', 30_000);
    ui.stdin.write('/');
    await tick();
    for (const ch of ':41023') ui.stdin.write(ch);
    ui.stdin.write(KEY.enter);
    // src ports cycle every 60,000 flows: port 41023 is flows 39999 and 99999.
    await waitFor(() => (ui.lastFrame() ?? '').includes('2/100000 shown'), 'filtered');
    expect(frameRows(ui.lastFrame()!)).toHaveLength(2);
    ui.stdin.write(KEY.escape);
    await waitFor(() => (ui.lastFrame() ?? '').includes('100000/100000 shown'), 'filter cleared');
  });
});

describe('while the captures are still being read', () => {
  it('shows bytes read and packets/s from the loader, then the results', async () => {
    let report!: (p: TuiProgress) => void;
    let finish!: (d: TuiData) => void;
    const loader: TuiLoader = (events) =>
      new Promise<TuiData>((resolve) => {
        report = (p) => events.progress(p);
        finish = resolve;
      });
    const ui = render(<App loader={loader} noColor={false} />);
    await waitFor(() => report !== undefined, 'loader started');
    await tick(150);
    report({ phase: 'reading', file: '/tmp/big/docker0.pcap', fileIndex: 1, fileCount: 3, bytesRead: 5 * 1024 * 1024, packets: 40_000 });
    await waitFor(() => (ui.lastFrame() ?? '').includes('reading docker0.pcap (2/3)'), 'progress line');
    const f = ui.lastFrame()!;
    expect(f).toContain('5.0 MiB');
    expect(f).toContain('40,000 packets');
    expect(f).toMatch(/[\d,]+ pkts\/s/);
    expect(f).toContain('waiting for results');
    // Keys work while loading: help opens and closes.
    ui.stdin.write('?');
    await waitFor(() => (ui.lastFrame() ?? '').includes('Keys'), 'help while loading');
    ui.stdin.write(KEY.escape);
    finish({ analysis: bigAnalysis(), flows: [], errors: [] });
    await waitFor(() => (ui.lastFrame() ?? '').includes('100000/100000 shown'), 'results', 30_000);
    expect(ui.lastFrame()).not.toContain('pkts/s');
  });

  it('a loader failure is shown on screen, not thrown', async () => {
    const ui = render(<App loader={async () => Promise.reject(new Error('x.pcap: not a pcap at byte 0'))} noColor={false} />);
    await waitFor(() => (ui.lastFrame() ?? '').includes('error: x.pcap: not a pcap at byte 0'), 'error line');
  });
});

describe('terminal size', () => {
  it('uses more rows when the terminal grows and fewer when it shrinks (resize event)', async () => {
    const analysis = bigAnalysis();
    const ui = render(<App loader={async () => ({ analysis, flows: [], errors: [] })} noColor={true} />);
    await waitFor(() => (ui.lastFrame() ?? '').includes('shown'), 'list', 30_000);
    const before = frameRows(ui.lastFrame()!).length;
    Object.defineProperty(ui.stdout, 'rows', { value: 50, configurable: true });
    ui.stdout.emit('resize');
    await waitFor(() => frameRows(ui.lastFrame()!).length === before + 26, 'taller list');
    Object.defineProperty(ui.stdout, 'rows', { value: 24, configurable: true });
    Object.defineProperty(ui.stdout, 'columns', { value: 80, configurable: true });
    ui.stdout.emit('resize');
    await waitFor(() => frameRows(ui.lastFrame()!).length === before, 'back to 24 rows');
    for (const line of ui.lastFrame()!.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });
});
