/**
 * What the TUI needs from the pipeline: a function that loads the captures, reports progress
 * while it reads, and resolves to the Analysis plus the flows (for packet samples and re-reading).
 * The command wires it to the real loader; tests pass recorded or synthetic data.
 */
import type { Analysis } from '../../correlate/model.js';
import type { Flow } from '../../flows/flow.js';

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
}

export interface TuiLoadEvents {
  progress(p: TuiProgress): void;
}

export type TuiLoader = (events: TuiLoadEvents) => Promise<TuiData>;
