/**
 * Mounts the TUI full-screen and guarantees the terminal comes back as it was: alternate screen
 * left, cursor shown, raw mode off, on q, Ctrl-C (handled as a key: raw mode swallows SIGINT),
 * SIGTERM/SIGHUP, and errors. Captures that cannot be read at all never get that far: the load
 * starts first (early-load.ts) and its error is thrown before the screen is taken.
 */
import { render } from 'ink';
import { App } from './components/app.js';
import type { TuiData, TuiLoader } from './load-source.js';
import { startEarly } from './early-load.js';
import { noColorRequested } from '../colour.js';

const ENTER_ALT = '\x1b[?1049h\x1b[H';
const LEAVE_ALT = '\x1b[?25h\x1b[?1049l';

/**
 * How long a load that has read nothing yet may keep the screen untaken: long enough for a missing
 * or unreadable capture to fail first, short enough not to be noticed.
 */
const ENTER_GRACE_MS = 400;

export interface RunTuiOptions {
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Route console output above the UI (default); off where the console is not Node's (tests). */
  patchConsole?: boolean;
}

/**
 * Resolves once the user quit, with what was loaded (null if they quit before it was); rejects with
 * the error that ended the UI (after restoring), the loader's own when it failed.
 */
export async function runTui(loader: TuiLoader, opts: RunTuiOptions = {}): Promise<TuiData | null> {
  const stdout = opts.stdout ?? process.stdout;
  const stdin = opts.stdin ?? process.stdin;
  const early = startEarly(loader, ENTER_GRACE_MS);
  await early.ready;
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    if (stdin.isTTY && stdin.isRaw) stdin.setRawMode(false);
    stdout.write(LEAVE_ALT);
  };
  stdout.write(ENTER_ALT);
  const app = render(<App loader={early.loader} noColor={noColorRequested()} onStopReading={early.stopReading} />, {
    stdout,
    stdin,
    exitOnCtrlC: false,
    patchConsole: opts.patchConsole ?? true,
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
    // Quit while loading: the rest of a large capture is not read for nothing.
    early.abort();
  }
  return early.data();
}
