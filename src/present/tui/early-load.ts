/**
 * Starts loading the captures before the TUI takes the screen. A load that fails before it has
 * read a packet (no such file, an empty directory, not a capture: found in milliseconds) is then
 * reported on the normal screen as one line, never as a full-screen error page; a load still
 * going after a short grace (a pipe waiting for its first packet, a large file) gets the screen and
 * its progress shown as before.
 */
import type { TuiData, TuiLoadEvents, TuiLoader, TuiProgress } from './load-source.js';

export interface EarlyLoad {
  /**
   * Settles once the load has finished, has read a packet, or has run `graceMs`: rejects with the
   * load's error if it failed by then.
   */
  ready: Promise<void>;
  /** For the App: the load already running, the progress it made so far replayed to its events. */
  loader: TuiLoader;
  /** The loaded data, null while loading or after a failure. */
  data(): TuiData | null;
  /** Stops a load still running (the user quit): the process need not wait for it to end. */
  abort(): void;
  /** Ends the reading where it is, to analyze what was read (the user asked to). */
  stopReading(): void;
}

export function startEarly(loader: TuiLoader, graceMs: number): EarlyLoad {
  let sink: TuiLoadEvents | null = null;
  let latest: TuiProgress | null = null;
  let data: TuiData | null = null;
  let onPackets = (): void => undefined;
  const packetsRead = new Promise<void>((resolve) => {
    onPackets = resolve;
  });
  const stop = new AbortController();
  const endReading = new AbortController();
  const running = loader({
    signal: stop.signal,
    stop: endReading.signal,
    progress(p) {
      if (p.packets > 0) onPackets();
      if (sink) sink.progress(p);
      else latest = { ...p };
    },
  }).then((d) => {
    data = d;
    return d;
  });
  // The App takes the outcome over once mounted; a failure before that is `ready`'s to report.
  running.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  const ready = Promise.race([running.then(() => undefined), packetsRead, graceOver]).finally(() => clearTimeout(timer));
  return {
    ready,
    data: () => data,
    abort: () => {
      if (data === null) stop.abort();
    },
    stopReading: () => endReading.abort(),
    loader: (events) => {
      sink = events;
      if (latest) events.progress(latest);
      return running;
    },
  };
}
