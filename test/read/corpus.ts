import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pcapsDir } from '../helpers/paths.js';

/** file name -> libpcap's expected open error, for the deliberately bad libpcap files. */
export function libpcapExpectedErrors(): Map<string, string> {
  const lines = readFileSync(path.join(pcapsDir, 'libpcap/EXPECTED_ERRORS.tsv'), 'utf8').split('\n');
  const m = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const f = l.split('\t');
    if (f.length >= 2) m.set(`libpcap/${f[0]}`, f[1]);
  }
  return m;
}

export interface TsharkFrame {
  number: number;
  timeEpoch: string;
  len: number;
  capLen: number;
}

export function tsharkFrames(abs: string): TsharkFrame[] | null {
  const p = `${abs}.fields.tsv`;
  if (!existsSync(p)) return null;
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const f = l.split('\t');
      return { number: Number(f[0]), timeEpoch: f[1], len: Number(f[2]), capLen: Number(f[3]) };
    });
}

/**
 * For pcapng-test-generator files: which tshark frames are Custom Blocks (tshark 4.0 counts
 * CB/DCB as frames). Taken from the generator's own block-sequence description.
 */
export function customBlockFrames(abs: string): Set<number> | null {
  const txt = abs.replace(/\.pcapng$/, '.txt');
  if (!existsSync(txt)) return null;
  const line = readFileSync(txt, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Block sequence:'));
  if (!line) return null;
  const frameBlocks = line
    .slice('Block sequence:'.length)
    .split(',')
    .map((s) => s.trim())
    .filter((b) => b === 'EPB' || b === 'SPB' || b === 'PB' || b === 'CB' || b === 'DCB');
  const custom = new Set<number>();
  frameBlocks.forEach((b, i) => {
    if (b === 'CB' || b === 'DCB') custom.add(i + 1);
  });
  return custom;
}
