/**
 * Ctrl-C while captures are read ends the reading, not the program, as tcpdump ends a live
 * capture and still prints what it has: `ssh host tcpdump -U -w - -i any | natflow analyze -`
 * runs until the user stops it, then explains the packets it got. Only while reading, and only
 * the first Ctrl-C: a second one, or one while the analysis is written, ends the process as usual.
 */
import { inputName, type LoadStopped } from '../flows/load-captures.js';
import { EXIT_INTERRUPTED, type SetExitCode } from './exit-codes.js';
import { printErrorLine } from './report-error.js';

export interface ReadingInterrupt {
  /** Aborted by the first Ctrl-C: given to the loader as its `stop`. */
  signal: AbortSignal;
  /** Once the reading is over: Ctrl-C is the default again. */
  release(): void;
}

export function stopReadingOnInterrupt(): ReadingInterrupt {
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort(new Error('interrupted'));
  process.once('SIGINT', onInterrupt);
  return { signal: stop.signal, release: () => process.off('SIGINT', onInterrupt) };
}

/** One line on stderr saying where the reading stopped, and the exit code 130. */
export function reportStopped(stopped: LoadStopped | null, setExitCode: SetExitCode): void {
  if (stopped === null) return;
  const at = stopped.at.map((x, i) => `${inputName(x.file)} read to ${i === 0 ? 'byte ' : ''}${x.offset}`).join(', ');
  const unread = stopped.unread.length === 0 ? '' : `${at === '' ? '' : ' '}(not read: ${stopped.unread.join(', ')})`;
  printErrorLine(`interrupted: ${at}${unread}; what was read before it is in the output`);
  setExitCode(EXIT_INTERRUPTED);
}
