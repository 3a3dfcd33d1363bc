/**
 * What a command shows while it reads captures: the progress line on a terminal's stderr
 * (./stderr-progress.ts) and, for a command whose partial result is still worth printing, Ctrl-C
 * ending the reading rather than the program (./stop-on-interrupt.ts). Both are undone when the
 * reading ends, whether it succeeded or threw.
 */
import type { LoadOptions } from '../flows/load-captures.js';
import { stderrProgress } from './stderr-progress.js';
import { stopReadingOnInterrupt } from './stop-on-interrupt.js';

/** What the loader (loadCaptures / analyzeCaptures) is given. */
export type ReadingHooks = Pick<LoadOptions, 'stop' | 'onProgress'>;

/**
 * `interruptible`: Ctrl-C ends the reading (analyze, flows). Without it (check, report) Ctrl-C
 * ends the process as usual: a verdict or a report on part of the input would pass for whole.
 */
export async function whileReading<T>(interruptible: boolean, read: (hooks: ReadingHooks) => Promise<T>): Promise<T> {
  const interrupt = interruptible ? stopReadingOnInterrupt() : null;
  const progress = stderrProgress({ interruptible });
  try {
    return await read({ stop: interrupt?.signal, onProgress: progress.onProgress });
  } finally {
    progress.end();
    interrupt?.release();
  }
}
