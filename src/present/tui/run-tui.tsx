/**
 * Mounts the TUI full-screen and guarantees the terminal comes back as it was: alternate screen
 * left, cursor shown, raw mode off, on q, Ctrl-C (handled as a key: raw mode swallows SIGINT),
 * SIGTERM/SIGHUP, and errors.
 */
import { render } from 'ink';
import { App } from './components/app.js';
import type { TuiLoader } from './load-source.js';
import { noColorRequested } from '../colour.js';

const ENTER_ALT = '\x1b[?1049h\x1b[H';
const LEAVE_ALT = '\x1b[?25h\x1b[?1049l';

export interface RunTuiOptions {
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

/** Resolves once the user quit; rejects with the error that ended the UI (after restoring). */
export async function runTui(loader: TuiLoader, opts: RunTuiOptions = {}): Promise<void> {
  const stdout = opts.stdout ?? process.stdout;
  const stdin = opts.stdin ?? process.stdin;
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    if (stdin.isTTY && stdin.isRaw) stdin.setRawMode(false);
    stdout.write(LEAVE_ALT);
  };
  stdout.write(ENTER_ALT);
  const app = render(<App loader={loader} noColor={noColorRequested()} />, {
    stdout,
    stdin,
    exitOnCtrlC: false,
    patchConsole: true,
    maxFps: 30,
  });
  const onSignal = (): void => app.unmount();
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];
  for (const s of signals) process.once(s, onSignal);
  process.once('exit', restore);
  try {
    await app.waitUntilExit();
  } finally {
    for (const s of signals) process.off(s, onSignal);
    process.off('exit', restore);
    app.cleanup();
    restore();
    // Ink keeps stdin referenced after unmount in some versions; the command must be able to end.
    stdin.pause();
  }
}
