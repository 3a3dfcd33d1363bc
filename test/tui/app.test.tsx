import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { App } from '../../src/present/tui/components/app.js';
import { pipelineLoader } from '../../src/cli/commands/tui.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import type { TuiLoader } from '../../src/present/tui/load-source.js';
import { HELP_KEYS } from '../../src/present/tui/key-bindings.js';
import { repoRoot } from '../helpers/paths.js';
import { ARTICLE_CAPTURES, KEY, tick, waitFor } from './helpers.js';
import process from 'node:process';

process.chdir(repoRoot);
afterEach(() => cleanup());

function mount(loader: TuiLoader = pipelineLoader(ARTICLE_CAPTURES)) {
  const r = render(<App loader={loader} noColor={false} />);
  const frame = (): string => r.lastFrame() ?? '';
  const press = async (k: string, until?: (f: string) => boolean, label = k): Promise<string> => {
    r.stdin.write(k);
    if (until) await waitFor(() => until(frame()), `frame after ${JSON.stringify(label)}`);
    else await tick(60);
    return frame();
  };
  return { ...r, frame, press };
}

describe('natflow tui on the article scenario (curl 127.0.0.1:5000 through docker-proxy)', () => {
  it('lists the correlation with mechanism, tuples, interfaces, confidence and packets', async () => {
    const ui = mount();
    await waitFor(() => ui.frame().includes('shown'), 'results');
    const f = ui.frame();
    expect(f).toContain('ifaces lo docker0');
    expect(f).toMatch(/>userland-proxy +127\.0\.0\.1:\d+→127\.0\.0\.1:5000/);
    // At 100 columns the final tuple loses the proxy's source port, not the container's address;
    // the line under the list shows it whole.
    expect(f).toMatch(/127\.0\.0\.1:5000 +172\.17\.0\.1→172\.17\.0\.2:5000 /);
    expect(f).toContain('lo,docker0');
    expect(f).toMatch(/1 correlated \(userland-proxy 1\)/);
    // The full tuples and the state of the selected row, even when the columns cut them.
    expect(f).toMatch(/c\d+: 127\.0\.0\.1:\d+ → 127\.0\.0\.1:5000 {2}⇒ {2}172\.17\.0\.1:\d+ → 172\.17\.0\.2:5000 {2}\[closed-fin\]/);
  });

  it('Enter opens the detail: legs side by side, field diff, evidence, explanation; Esc and Backspace go back', async () => {
    const ui = mount();
    await waitFor(() => ui.frame().includes('shown'), 'results');
    let f = await ui.press(KEY.enter, (x) => x.includes('[detail]'));
    expect(f).toMatch(/leg 1 lo +leg 2 docker0/);
    expect(f).toMatch(/src +127\.0\.0\.1:\d+ +172\.17\.0\.1:\d+/);
    // One Community ID per side (two connections, two tuples), and natflow's id for the pair.
    expect(f).toMatch(/community +1:[\w+/]{27}= +1:[\w+/]{27}=/);
    expect(f).toMatch(/Legs \(2\) +pair id nf1:[\w+/]{27}=/);
    expect(f).toContain('Hop 1');
    // docker-proxy opens a new connection: the ISN is unrelated, the payload identical (facts §2).
    // docker-proxy relays in user space: no NAT rule did this hop, so none is named (test/tui/detail-hops).
    expect(f).not.toContain('rule:');
    for (let i = 0; i < 6; i++) ui.stdin.write('j');
    f = await ui.press('j', (x) => /isn +\d+/.test(x));
    expect(f).toMatch(/isn +\d+ +\d+ +unrelated/);
    expect(f).toMatch(/payload .* preserved/);
    // Scroll down line by line to the evidence, then jump to the end for the explanation.
    for (let i = 0; i < 60 && !ui.frame().includes('Evidence ('); i++) await ui.press('j');
    f = ui.frame();
    expect(f).toMatch(/Evidence \(confidence 0\.\d\d\)/);
    f = await ui.press('G', (x) => /Explanation\n {2}\S/.test(x));
    expect(f).toMatch(/Explanation\n {2}(1\. |\(no explanation)/);
    expect(f).not.toContain('Legs (2)');
    f = await ui.press(KEY.escape, (x) => x.includes('shown'));
    expect(f).toContain('MECHANISM');
    await ui.press(KEY.enter, (x) => x.includes('[detail]'));
    f = await ui.press(KEY.backspace, (x) => x.includes('shown'));
    expect(f).not.toContain('[detail]');
  });

  it('Tab shows the ladder with the proxy hand-off, then the packet list with the payload prefix', async () => {
    const ui = mount();
    await waitFor(() => ui.frame().includes('shown'), 'results');
    await ui.press(KEY.enter, (x) => x.includes('[detail]'));
    let f = await ui.press(KEY.tab, (x) => x.includes('[ladder]'));
    expect(f).toMatch(/client +docker-proxy +server/);
    expect(f).toMatch(/\[lo\][\s│]+\[docker0\]/);
    const lines = f.split('\n');
    const firstSyn = lines.findIndex((l) => / SYN /.test(l));
    const handoff = lines.findIndex((l) => l.includes('◆ proxy hand-off'));
    expect(firstSyn).toBeGreaterThan(0);
    expect(handoff).toBeGreaterThan(firstSyn);
    // The client's SYN goes right on the lo leg (first two columns) …
    expect(lines[firstSyn]).toMatch(/│─+ SYN ─+>│ +│/);
    // … and the SYN after the hand-off is on the docker0 leg (second and third columns).
    const nextSyn = lines.findIndex((l, i) => i > handoff && / SYN /.test(l));
    expect(lines[nextSyn]).toMatch(/│ +│─+ SYN ─+>│/);
    f = await ui.press(KEY.tab, (x) => x.includes('[packets]') && x.includes('Flags [S]'));
    expect(f).toMatch(/lo IP 127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.5000: Flags \[S\]/);
    expect(f).toContain('GET /hello.txt?m=nf-s01-c1 HTTP/1.1');
    // → selects the second leg: its packets are re-read from docker0.pcap.
    f = await ui.press(KEY.right, (x) => x.includes('docker0 IP 172.17.0.1'));
    expect(f).toContain('leg 2/2');
    f = await ui.press(KEY.shiftTab, (x) => x.includes('[ladder]'));
    f = await ui.press('d', (x) => x.includes('[detail]'));
    expect(f).toContain('▶leg 2');
  });

  it('/ filters by port, interface, mechanism and HTTP path; Esc clears', async () => {
    const ui = mount();
    await waitFor(() => ui.frame().includes('shown'), 'results');
    const filterBy = async (text: string): Promise<string> => {
      await ui.press('/', (x) => x.includes('/█'), '/');
      for (const ch of text) ui.stdin.write(ch);
      await waitFor(() => ui.frame().includes(`/${text}█`), `typed ${text}`);
      return ui.press(KEY.enter, (x) => x.includes(`filter "${text}"`));
    };
    for (const hit of ['5000', 'docker0', 'userland', '/hello.txt', '172.17.0.2']) {
      expect(await filterBy(hit)).toMatch(/1\/1 shown/);
      await ui.press(KEY.escape, (x) => !x.includes('filter "'));
    }
    // A side's Community ID (as a Zeek log shows it) or the pair id finds the conversation.
    const r = await analyzeCaptures(ARTICLE_CAPTURES);
    const c = r.analysis.correlations[0];
    for (const hit of [r.flowsById.get(c.legs[0])!.communityId, c.pairId]) {
      expect(await filterBy(hit)).toMatch(/1\/1 shown/);
      await ui.press(KEY.escape, (x) => !x.includes('filter "'));
    }
    const f = await filterBy('8080');
    expect(f).toContain('0/1 shown');
    expect(f).toContain('(nothing matches)');
  });

  it('s cycles the sort key, ? shows every key, q exits', async () => {
    const ui = mount();
    await waitFor(() => ui.frame().includes('shown'), 'results');
    expect(await ui.press('s', (x) => x.includes('sort packets'))).toContain('sort packets');
    expect(await ui.press('s', (x) => x.includes('sort confidence'))).toContain('sort confidence');
    const help = await ui.press('?', (x) => x.includes('Keys'));
    for (const [k] of HELP_KEYS.slice(0, 8)) expect(help).toContain(k);
    expect(await ui.press(KEY.escape, (x) => !x.includes('Keys'))).toContain('MECHANISM');
    ui.stdin.write('q');
    await tick(100);
    // After exit Ink stops rendering: further keys change nothing.
    const last = ui.frame();
    ui.stdin.write('s');
    await tick(100);
    expect(ui.frame()).toBe(last);
  });
});

describe('natflow tui on a dual-stack capture (17: neighbor discovery and MLD on every link)', () => {
  const dir = 'captures/17-ipv6-network';
  const files = ['lo.pcap', 'eth0.pcap', 'docker0.pcap', 'veth2f22765.pcap', 'veth6b1f533.pcap'].map((f) => `${dir}/${f}`);

  it.skipIf(!existsSync(dir))('hides link-local control traffic at start, n shows and hides it again', async () => {
    // What the analysis holds, to count against: rows whose flows are all ICMPv6 are the noise.
    const r = await analyzeCaptures(files);
    const byId = new Map(r.flows.map((f) => [f.id, f]));
    const rows = [...r.analysis.correlations.map((c) => c.legs), ...r.analysis.unpaired.map((id) => [id])];
    const noise = rows.filter((legs) => legs.every((id) => byId.get(id)?.proto === 58)).length;
    expect(noise).toBeGreaterThan(0);
    const ui = mount(pipelineLoader(files));
    await waitFor(() => ui.frame().includes('shown'), 'results');
    let f = ui.frame();
    expect(f).toContain(`${rows.length - noise}/${rows.length} shown · ${noise} link-local control hidden (n)`);
    expect(f).not.toMatch(/ff02::/);
    expect(f).toMatch(/>userland-proxy +\[::1\]/);
    f = await ui.press('n', (x) => x.includes(`${rows.length}/${rows.length} shown`));
    expect(f).toMatch(/ff02::/);
    expect(f).toContain('n hides link-local control');
    f = await ui.press('n', (x) => x.includes(`${rows.length - noise}/${rows.length} shown`));
    expect(f).not.toMatch(/ff02::/);
  });
});
