/**
 * A progress line on stderr while captures are read, when stderr is a terminal: a capture of
 * gigabytes takes seconds to read, and a live one (a pipe) as long as it runs, and neither
 * should look hung. It appears only after a moment (a small capture is done before), is redrawn
 * in place a few times a second, fits the terminal's width, and is erased when the reading ends,
 * so that what the command prints is the same with or without it.
 */
import { basename } from 'node:path';
import { inputName, type LoadProgress } from '../flows/load-captures.js';
import { sanitizeText } from '../present/sanitize.js';
import { formatBytes, formatCount, truncate } from '../present/tui/text-fit.js';

export interface StderrProgress {
  /** For the loader; undefined when stderr is no terminal. */
  onProgress: ((p: LoadProgress) => void) | undefined;
  /** The reading is over: the line is erased. */
  end(): void;
}

/** Nothing is drawn for a reading shorter than this. */
const SHOW_AFTER_MS = 1000;
const REDRAW_MS = 200;

export interface StderrProgressOptions {
  /** Ctrl-C ends the reading and the packets read are analyzed (./stop-on-interrupt.ts): say so. */
  interruptible: boolean;
  stream?: NodeJS.WriteStream;
}

export function stderrProgress(opts: StderrProgressOptions): StderrProgress {
  const stream = opts.stream ?? process.stderr;
  if (stream.isTTY !== true) return { onProgress: undefined, end: () => undefined };
  let latest: LoadProgress | null = null;
  let shown = false;
  // Drawn by a timer, not by the loader's calls: a live capture that has gone quiet makes none,
  // and it is then that the line (and its Ctrl-C hint) matters.
  const draw = (): void => {
    if (latest === null) return;
    const p = latest;
    shown = true;
    const file = sanitizeText(basename(inputName(p.file)));
    const hint = opts.interruptible ? ' · Ctrl-C: stop reading and analyze what was read' : '';
    const text = `natflow: reading ${file} (${p.fileIndex + 1}/${p.fileCount}) · ${formatBytes(p.bytesRead)} · ${formatCount(p.packets)} packets${hint}`;
    // One line that never wraps: a wrapped line could not be redrawn in place.
    stream.write(`\r${truncate(text, Math.max(20, (stream.columns || 80) - 1))}\x1b[K`);
  };
  let timer: NodeJS.Timeout | null = null;
  const first = setTimeout(() => {
    draw();
    timer = setInterval(draw, REDRAW_MS);
    timer.unref();
  }, SHOW_AFTER_MS);
  first.unref();
  return {
    onProgress: (p) => {
      latest = p;
    },
    end: () => {
      clearTimeout(first);
      if (timer !== null) clearInterval(timer);
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
