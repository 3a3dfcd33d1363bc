/** The ways a user hands natflow one recording: its per-interface files, its -i any capture, its directory. */
import path from 'node:path';
import type { analyzeCaptures } from '../../src/correlate/analyze.js';
import { parseCaptureOptions } from '../../src/cli/capture-options.js';

export type CaptureForm = [name: string, files: string[], opts: Parameters<typeof analyzeCaptures>[1]];

/** `dir` holds `perInterface`, any.pcap and ip-link.json (what the small recorders write). */
export function captureForms(dir: string, perInterface: string[]): CaptureForm[] {
  return [
    ['per-interface files', perInterface, {}],
    ['-i any', [path.join(dir, 'any.pcap')], parseCaptureOptions({ links: path.join(dir, 'ip-link.json') })],
    ['the directory', [dir], parseCaptureOptions({}, [dir])],
  ];
}
