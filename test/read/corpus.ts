import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const pcapsDir = path.resolve(repoRoot, '../shared/pcaps');

export interface ManifestRow {
  path: string;
  abs: string;
  format: string;
  /** "1:EN10MB,113:LINUX_SLL" as found by the MANIFEST's header/IDB walk. */
  linktypes: string;
  packets: string;
  broken: string;
  tsharkRead: string;
  /** Packet records in the file: MANIFEST's own walk, or tshark's count where the walk gave n/a. */
  ownWalk: number;
}

export function manifest(): ManifestRow[] {
  const lines = readFileSync(path.join(pcapsDir, 'MANIFEST.tsv'), 'utf8').split('\n').filter((l) => l.length > 0);
  const head = lines[0].split('\t');
  const col = (name: string): number => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`MANIFEST.tsv has no column ${name}`);
    return i;
  };
  return lines.slice(1).map((l) => {
    const f = l.split('\t');
    return {
      path: f[col('path')],
      abs: path.join(pcapsDir, f[col('path')]),
      format: f[col('format')],
      linktypes: f[col('linktypes')],
      packets: f[col('packets')],
      broken: f[col('broken_on_purpose')],
      tsharkRead: f[col('tshark_read')],
      // "12 +partial" = 12 records before the cut; "n/a" (modified-format.pcap) = the walk
      // could not parse it, tshark's count (1, also rusticata's expectation) stands in.
      ownWalk: orElse(Number.parseInt(f[col('packet_records_own_walk')], 10), Number(f[col('packets')])),
    };
  });
}

function orElse(n: number, fallback: number): number {
  return Number.isNaN(n) ? fallback : n;
}

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
