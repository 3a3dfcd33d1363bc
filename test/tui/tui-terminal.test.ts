/**
 * `natflow tui` in a real terminal: tmux runs bin/natflow (the built dist/, rebuilt in beforeAll)
 * on the article's captures; we drive it with send-keys and read the screen with capture-pane.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';
import { ARTICLE_CAPTURES } from './helpers.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.warn('tmux is not installed: skipping the natflow tui terminal tests (apt-get install tmux; .ci/run does)');

const SOCKET = `natflow-tui-test-${process.pid}`;

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function screen(target: string, withEscapes = false): string {
  return tmux('capture-pane', '-p', ...(withEscapes ? ['-e'] : []), '-t', target);
}

async function waitScreen(target: string, test: (s: string) => boolean, label: string, timeoutMs = 20_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const s = screen(target);
    if (test(s)) return s;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${label}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A pane running a plain shell with a recognisable prompt, in the repository. */
function openShell(name: string): string {
  tmux('new-session', '-d', '-s', name, '-x', '100', '-y', '30', '-c', repoRoot, 'env', '-u', 'CI', 'PS1=shell$ ', 'sh');
  return `${name}:0.0`;
}

function sendLine(target: string, line: string): void {
  tmux('send-keys', '-t', target, '-l', line);
  tmux('send-keys', '-t', target, 'Enter');
}

const COMMAND = `node bin/natflow tui ${ARTICLE_CAPTURES.join(' ')}; echo NATFLOW_EXIT=$?`;

/** The article's lo.pcap cut inside its 8th record: 7 packets, then a truncated record at byte 913. */
const CUT = path.join(tempDir('natflow-tui-term-'), 'lo-cut.pcap');
writeFileSync(CUT, readFileSync(path.join(repoRoot, 'captures/01-localhost-proxy/lo.pcap')).subarray(0, 1000));

describe('natflow tui without a terminal', () => {
  beforeAll(() => {
    // Keep dist/ current: bin/natflow runs the build. Colleagues' unfinished modules may make
    // tsc report errors while still emitting, so check that our output is fresh instead.
    spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repoRoot, stdio: 'ignore' });
    const src = statSync(path.join(repoRoot, 'src/present/tui/components/app.tsx')).mtimeMs;
    const out = statSync(path.join(repoRoot, 'dist/src/present/tui/components/app.js')).mtimeMs;
    expect(out).toBeGreaterThanOrEqual(src);
  }, 180_000);

  it('refuses with one line pointing at natflow analyze, exit 2, when stdout is not a TTY', () => {
    const r = spawnSync('node', ['bin/natflow', 'tui', ...ARTICLE_CAPTURES], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/not a TTY.*natflow analyze/);
  });

  describe.skipIf(!hasTmux)('in tmux', () => {
    afterAll(() => {
      spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    });

    it('list → detail → ladder → back → quit, and the shell gets its terminal back', async () => {
      const pane = openShell('steps');
      await waitScreen(pane, (s) => s.includes('shell$'), 'shell prompt');
      sendLine(pane, COMMAND);
      let s = await waitScreen(pane, (x) => x.includes('1/1 shown'), 'the list');
      expect(s).toMatch(/>userland-proxy +127\.0\.0\.1:\d+→127\.0\.0\.1:5000/);
      expect(s).toContain('ifaces lo docker0');
      expect(s).not.toContain('shell$'); // alternate screen: the shell is out of sight

      tmux('send-keys', '-t', pane, 'Enter');
      s = await waitScreen(pane, (x) => x.includes('[detail]') && x.includes('Hop 1'), 'the detail view');
      expect(s).toMatch(/leg 1 lo +leg 2 docker0/);
      expect(s).toMatch(/src-port +\d+ +\d+ +unrelated/); // the proxy opens a new connection: nothing is rewritten
      console.log(`detail view in a 100x30 terminal:\n${s}`);

      tmux('send-keys', '-t', pane, 'Tab');
      s = await waitScreen(pane, (x) => x.includes('[ladder]'), 'the ladder');
      expect(s).toMatch(/client +docker-proxy +server/);
      expect(s).toContain('◆ proxy hand-off');
      expect(s).toMatch(/│─+ SYN ─+>│/);

      tmux('send-keys', '-t', pane, 'Escape');
      s = await waitScreen(pane, (x) => x.includes('MECHANISM'), 'back to the list');
      expect(s).not.toContain('[ladder]');

      tmux('send-keys', '-t', pane, 'q');
      s = await waitScreen(pane, (x) => /NATFLOW_EXIT=0\s*\n\s*shell\$/.test(x), 'the shell again');
      expect(s).toContain(COMMAND.slice(0, 40)); // the screen from before the TUI is back
      expect(s).not.toContain('MECHANISM');
      // Raw mode is off again: the terminal is canonical with echo.
      sendLine(pane, "stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo");
      s = await waitScreen(pane, (x) => /\n(-?icanon|-?echo) /.test(x), 'stty output');
      expect(s).toMatch(/\nicanon echo\s*\n/);
    });

    it('Ctrl-C quits cleanly too, and NO_COLOR leaves the screen without colours', async () => {
      const pane = openShell('ctrlc');
      await waitScreen(pane, (x) => x.includes('shell$'), 'shell prompt');
      sendLine(pane, `NO_COLOR=1 ${COMMAND}`);
      await waitScreen(pane, (x) => x.includes('1/1 shown'), 'the list');
      const raw = screen(pane, true);
      expect(raw).toContain('userland-proxy');
      // SGR 30-37, 90-97 and 38;… set a colour (39 only resets to the default).
      expect(raw).not.toMatch(/\x1b\[([0-9;]*;)?(3[0-7]|9[0-7]|38;[0-9;]*)m/);
      tmux('send-keys', '-t', pane, 'C-c');
      await waitScreen(pane, (x) => /NATFLOW_EXIT=0\s*\n\s*shell\$/.test(x), 'the shell again');
    });

    it('a capture cut short is browsed, its fault named on screen; after q it is on stderr and the exit code is 2', async () => {
      const pane = openShell('cut');
      await waitScreen(pane, (x) => x.includes('shell$'), 'shell prompt');
      sendLine(pane, `node bin/natflow tui ${CUT} captures/01-localhost-proxy/docker0.pcap; echo NATFLOW_EXIT=$?`);
      const s = await waitScreen(pane, (x) => x.includes('2/2 shown'), 'the list');
      expect(s).toMatch(/cut short: lo-cut\.pcap at byte 913 \(truncated record/);
      tmux('send-keys', '-t', pane, 'q');
      // The line may wrap in 100 columns: read the screen as one string.
      const after = await waitScreen(pane, (x) => /NATFLOW_EXIT=\d/.test(x), 'the shell again');
      expect(after.replace(/\n/g, '')).toContain(`natflow: ${CUT}: truncated record (captured length 93, only 71 bytes of data left) at byte 913NATFLOW_EXIT=2`);
    });

    it('quit while a capture is still arriving on a pipe: the shell is back at once, not when the pipe\'s writer ends', async () => {
      const fifo = path.join(tempDir('natflow-tui-fifo-'), 'lo.fifo');
      const pane = openShell('pipe');
      await waitScreen(pane, (x) => x.includes('shell$'), 'shell prompt');
      // A writer that sends the article's lo capture, then holds the pipe open for a minute (as
      // `ssh host tcpdump -w -` does until stopped).
      sendLine(pane, `mkfifo ${fifo}; (cat captures/01-localhost-proxy/lo.pcap; sleep 60) > ${fifo} & node bin/natflow tui lo=${fifo}; echo NATFLOW_EXIT=$?`);
      await waitScreen(pane, (x) => x.includes('loading captures') && x.includes('MECHANISM'), 'the loading screen');
      const t0 = Date.now();
      tmux('send-keys', '-t', pane, 'q');
      await waitScreen(pane, (x) => /NATFLOW_EXIT=0\s*\n\s*shell\$/.test(x), 'the shell again', 10_000);
      expect(Date.now() - t0).toBeLessThan(5_000);
      sendLine(pane, 'kill %1');
    });

    it('live captures from two pipes: Enter while loading ends the reading and shows what was read, paired', async () => {
      const dir = tempDir('natflow-tui-live-');
      const pane = openShell('live');
      await waitScreen(pane, (x) => x.includes('shell$'), 'shell prompt');
      // Each pipe gets its interface's capture of 08 (50 connections through DNAT), then stays open.
      const feed = (iface: string): string => `mkfifo ${dir}/${iface}; (cat captures/08-concurrent/${iface}.pcap; touch ${dir}/${iface}.written; sleep 60) > ${dir}/${iface} &`;
      sendLine(pane, `${feed('eth0')} ${feed('docker0')} node bin/natflow tui eth0=${dir}/eth0 docker0=${dir}/docker0; echo NATFLOW_EXIT=$?`);
      await waitScreen(pane, (x) => x.includes('Enter stops reading'), 'the loading screen');
      // Each file is larger than a pipe holds (64 KiB): its writer is done only once natflow
      // reads; what is left in the pipe then takes far less than the half second given.
      while (!['eth0', 'docker0'].every((i) => existsSync(`${dir}/${i}.written`))) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 500));
      tmux('send-keys', '-t', pane, 'Enter');
      const s = await waitScreen(pane, (x) => /\d+\/\d+ shown/.test(x), 'the list');
      expect(s).toMatch(/^>?\s*dnat\s+198\.18\.0\.2→198\.18\.0\.1:500[01]/m);
      tmux('send-keys', '-t', pane, 'q');
      await waitScreen(pane, (x) => /NATFLOW_EXIT=0\s*\n\s*shell\$/.test(x), 'the shell again', 10_000);
      sendLine(pane, 'kill %1 %2');
    });

    it('nothing readable: one line on the shell\'s screen and exit 2', async () => {
      const pane = openShell('missing');
      await waitScreen(pane, (x) => x.includes('shell$'), 'shell prompt');
      sendLine(pane, 'node bin/natflow tui captures/no-such-dir; echo NATFLOW_EXIT=$?');
      const s = await waitScreen(pane, (x) => /NATFLOW_EXIT=\d/.test(x), 'exit');
      expect(s).toMatch(/\nnatflow: captures\/no-such-dir: cannot open: no such file \(ENOENT\) at byte 0\nNATFLOW_EXIT=2\n/);
    });

    it('with colours allowed, mechanisms are coloured', async () => {
      const pane = openShell('colour');
      await waitScreen(pane, (x) => x.includes('shell$'), 'shell prompt');
      sendLine(pane, `TERM=xterm-256color ${COMMAND}`);
      await waitScreen(pane, (x) => x.includes('1/1 shown'), 'the list');
      expect(screen(pane, true)).toMatch(/\x1b\[([0-9;]*;)?(3[0-7]|9[0-7]|38;[0-9;]*)m/);
      tmux('send-keys', '-t', pane, 'q');
      await waitScreen(pane, (x) => x.includes('NATFLOW_EXIT=0'), 'exit');
    });
  });
});
