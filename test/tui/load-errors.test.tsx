/**
 * Captures that cannot be read, in the TUI: nothing readable leaves (or never takes) the screen
 * with the error for the command to print; a capture cut short is browsed, its file and byte
 * offset on screen, and handed back for the exit code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { afterEach, describe, expect, it } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { App } from '../../src/present/tui/components/app.js';
import { pipelineLoader } from '../../src/cli/commands/tui.js';
import { NothingLoaded, type TuiLoader } from '../../src/present/tui/load-source.js';
import { runTui } from '../../src/present/tui/run-tui.js';
import { CaptureError } from '../../src/read/capture-error.js';
import { capturesDir, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';
import { fakeTerminal, tick, waitFor } from './helpers.js';

process.chdir(repoRoot);
afterEach(() => cleanup());

const ENTER_ALT = '\x1b[?1049h';
const LEAVE_ALT = '\x1b[?1049l';

// The article's lo.pcap cut inside its 8th record: 7 packets read, then a truncated record.
const dir = tempDir('natflow-tui-cut-');
const cut = path.join(dir, 'lo-cut.pcap');
writeFileSync(cut, readFileSync(path.join(capturesDir, '01-localhost-proxy/lo.pcap')).subarray(0, 1000));
const CUT_CAPTURES = [cut, path.join(capturesDir, '01-localhost-proxy/docker0.pcap')];

describe('natflow tui: a capture cut short', () => {
  it('shows what was read, and the file and byte offset where it stops', async () => {
    const ui = render(<App loader={pipelineLoader(CUT_CAPTURES)} noColor={true} />);
    const frame = (): string => ui.lastFrame() ?? '';
    await waitFor(() => frame().includes('shown'), 'results');
    expect(frame()).toMatch(/^cut short: lo-cut\.pcap at byte 913 \(truncated record/m);
    expect(frame()).toMatch(/^2\/2 shown/m);
    expect(frame()).toMatch(/^>unpaired .*127\.0\.0\.1:5000/m);
  });

  it('runTui hands the faults back once the user quits (the command exits 2 on them)', async () => {
    const t = fakeTerminal();
    const done = runTui(pipelineLoader(CUT_CAPTURES), t.streams);
    await waitFor(() => t.stdout.written.includes('2/2 shown'), 'results');
    expect(t.stdout.written).toContain('cut short: lo-cut.pcap at byte 913');
    t.stdin.send('q');
    const data = await done;
    expect(data?.errors.map((e) => [e.file, e.offset])).toEqual([[cut, 913]]);
    expect(t.stdout.written.endsWith(LEAVE_ALT)).toBe(true);
  });
});

describe('natflow tui: nothing readable', () => {
  it('the App leaves at once with the error; its footer no longer waits for results', async () => {
    const ui = render(<App loader={pipelineLoader([path.join(dir, 'nonexist')])} noColor={true} />);
    const frame = (): string => ui.lastFrame() ?? '';
    await waitFor(() => frame().includes('error: '), 'the error');
    expect(frame()).toMatch(/^loading failed · /m);
    expect(frame()).not.toContain('waiting for results');
    // It has exited: keys change nothing any more.
    const last = frame();
    ui.stdin.write('s');
    await tick(100);
    expect(frame()).toBe(last);
  });

  it('runTui rejects with the loader\'s error before it takes the screen', async () => {
    const t = fakeTerminal();
    const err = new NothingLoaded([new CaptureError('/x/nonexist', 0, 'cannot open: no such file (ENOENT)')]);
    await expect(runTui(async () => Promise.reject(err), t.streams)).rejects.toBe(err);
    expect(t.stdout.written).toBe('');
  });

  it('a load that fails once the screen is taken gives it back at once, no key needed', async () => {
    const t = fakeTerminal();
    const err = new NothingLoaded([new CaptureError('/x/slow.pcap', 24, 'truncated record')]);
    // A pipe that reads nothing for a second, then ends short.
    const slow: TuiLoader = () => new Promise((_, reject) => setTimeout(() => reject(err), 1000));
    await expect(runTui(slow, t.streams)).rejects.toBe(err);
    expect(t.stdout.written.startsWith(ENTER_ALT)).toBe(true);
    expect(t.stdout.written.endsWith(LEAVE_ALT)).toBe(true);
  }, 10_000);
});
