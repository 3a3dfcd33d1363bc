/**
 * What the TUI needs from the pipeline: a function that loads the captures, reports progress
 * while it reads, and resolves to the Analysis plus the flows (for packet samples and re-reading).
 * The command wires it to the real loader; tests pass recorded or synthetic data.
 */
import type { Analysis } from '../../correlate/model.js';
import type { Flow } from '../../flows/flow.js';
import type { CaptureError } from '../../read/capture-error.js';

export interface TuiProgress {
  phase: 'reading' | 'correlating';
  file: string;
  fileIndex: number;
  fileCount: number;
  /** Bytes of the current file read so far. */
  bytesRead: number;
  /** Packets read so far, all files. */
  packets: number;
}

export interface TuiData {
  analysis: Analysis;
  flows: readonly Flow[];
  /**
   * Captures cut short (`<file>: <reason> at byte <offset>`): what was read before each fault is
   * in the analysis; the UI names them, and the command exits 2 once the user quits.
   */
  errors: readonly CaptureError[];
}

/**
 * The loader's rejection when not one packet could be read (no such file, an empty directory, not
 * a capture): there is nothing to browse, so the command prints these and exits 2, as analyze does.
 */
export class NothingLoaded extends Error {
  readonly errors: readonly CaptureError[];

  constructor(errors: readonly CaptureError[]) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'NothingLoaded';
    this.errors = errors;
  }
}

export interface TuiLoadEvents {
  progress(p: TuiProgress): void;
  /** Aborted when the user quits before the load ended: the loader should stop reading. */
  signal?: AbortSignal;
  /**
   * Aborted when the user asks to see what was read so far (a live capture that never ends by
   * itself): the loader ends the reading there and resolves with what it has.
   */
  stop?: AbortSignal;
}

export type TuiLoader = (events: TuiLoadEvents) => Promise<TuiData>;
