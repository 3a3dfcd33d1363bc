/**
 * The progress line analyze, flows, check and report draw on stderr while captures are read:
 * only on a terminal, only after a moment, one line redrawn in place, erased at the end. In tmux,
 * on a live capture (a pipe its writer holds open), with the Ctrl-C that ends the reading.
 */
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { stderrProgress } from '../../src/cli/stderr-progress.js';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

class FakeTty extends EventEmitter {
  written = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 60,
  ) {
    super();
  }
  write(s: string): boolean {
    this.written += s;
    return true;
  }
}

const progress = { file: '/captures/eth0.pcap', fileIndex: 0, fileCount: 2, bytesRead: 5 * 1024 * 1024, packets: 40_000 };

describe('stderrProgress', () => {
  afterEach(() => vi.useRealTimers());

  it('draws nothing when stderr is no terminal (a CI log, a file)', () => {
    const tty = new FakeTty(false);
    const p = stderrProgress({ interruptible: true, stream: tty as unknown as NodeJS.WriteStream });
    expect(p.onProgress).toBeUndefined();
    p.end();
    expect(tty.written).toBe('');
  });

  it('nothing for a short reading; after a second one line in place, cut to the width, erased at the end', () => {
    vi.useFakeTimers();
    const tty = new FakeTty(true, 80);
    const p = stderrProgress({ interruptible: true, stream: tty as unknown as NodeJS.WriteStream });
    p.onProgress!(progress);
    vi.advanceTimersByTime(900);
    expect(tty.written).toBe('');
    vi.advanceTimersByTime(200);
    const line = tty.written;
    expect(line.startsWith('\r')).toBe(true);
    expect(line.endsWith('\x1b[K')).toBe(true);
    const text = line.slice(1, -3);
    // The whole line is longer than the terminal's 80 columns: cut, an ellipsis at the end.
    expect(text).toHaveLength(79);
    expect(text).toMatch(/^natflow: reading eth0\.pcap \(1\/2\) · 5\.0 MiB · 40,000 packets · Ctrl-C: stop.*…$/);
    expect(text).not.toContain('\n');
    // Redrawn with the latest figures, even when the loader has nothing new to say.
    p.onProgress!({ ...progress, packets: 41_000 });
    vi.advanceTimersByTime(250);
    expect(tty.written.slice(line.length)).toContain('41,000 packets');
    p.end();
    expect(tty.written.endsWith('\r\x1b[K')).toBe(true);
  });

  it('a file name is stripped of terminal controls; without the Ctrl-C hint where Ctrl-C just stops', () => {
    vi.useFakeTimers();
    const tty = new FakeTty(true, 200);
    const p = stderrProgress({ interruptible: false, stream: tty as unknown as NodeJS.WriteStream });
    p.onProgress!({ ...progress, file: '/x/ev\x1b[31mil.pcap' });
    vi.advanceTimersByTime(1100);
    expect(tty.written).toContain('reading evil.pcap');
    expect(tty.written).not.toContain('Ctrl-C');
    expect(tty.written.slice(1, -3)).not.toMatch(/[\x00-\x1f]/);
    p.end();
  });
});

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `natflow-progress-test-${process.pid}`;
const tmux = (...args: string[]): string => {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

async function waitScreen(target: string, test: (s: string) => boolean, label: string): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const s = tmux('capture-pane', '-p', '-t', target);
    if (test(s)) return s;
    if (Date.now() - t0 > 20_000) throw new Error(`timed out waiting for ${label}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!hasTmux)('in a terminal, on a live capture', () => {
  afterAll(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  });

  it('analyze shows it reads and how to stop; Ctrl-C ends the reading, the line is replaced by where it stopped, exit 130', async () => {
    const out = path.join(tempDir('natflow-progress-'), 'analysis.txt');
    tmux('new-session', '-d', '-s', 'live', '-x', '150', '-y', '20', '-c', repoRoot, 'env', '-u', 'CI', 'PS1=shell$ ', 'sh');
    const pane = 'live:0.0';
    await waitScreen(pane, (x) => x.includes('shell$'), 'shell prompt');
    // Standard input from a FIFO whose writer runs in the background: Ctrl-C reaches natflow
    // alone (a writer in the same pipeline would end too, and the input with it), which must
    // then stop on its own, not at the end of its input.
    const fifo = path.join(path.dirname(out), 'live.fifo');
    tmux('send-keys', '-t', pane, '-l', `mkfifo ${fifo}; (cat captures/08-concurrent/eth0.pcap; sleep 60) > ${fifo} & node bin/natflow analyze eth0=- < ${fifo} > ${out}; echo NATFLOW_EXIT=$?`);
    tmux('send-keys', '-t', pane, 'Enter');
    // The whole file is read, then nothing comes: the line is there all the same.
    await waitScreen(pane, (x) => /natflow: reading standard input \(1\/1\) · 65\.\d KiB · \d+ packets · Ctrl-C: stop reading and analyze what was read/.test(x), 'the progress line');
    tmux('send-keys', '-t', pane, 'C-c');
    const after = await waitScreen(pane, (x) => /NATFLOW_EXIT=\d/.test(x), 'the exit');
    expect(after).toMatch(/\nnatflow: interrupted: standard input read to byte 66621; what was read before it is in the output\s*\nNATFLOW_EXIT=130\n/);
    expect(after).not.toContain('reading standard input');
    tmux('send-keys', '-t', pane, '-l', 'kill %1');
    tmux('send-keys', '-t', pane, 'Enter');
  });
});
