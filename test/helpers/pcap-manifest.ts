/** The shared corpus's MANIFEST.tsv (../shared/pcaps/README.md describes the columns). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pcapsDir } from './paths.js';

export interface ManifestRow {
  path: string;
  abs: string;
  format: string;
  /** "1:EN10MB,113:LINUX_SLL" as found by the MANIFEST's header/IDB walk. */
  linktypes: string;
  packets: string;
  broken: string;
  tsharkRead: string;
  /** MANIFEST's own walk of the packet records, as written ("12 +partial", "n/a"). */
  records: string;
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
      records: f[col('packet_records_own_walk')],
      // "12 +partial" = 12 records before the cut; "n/a" (modified-format.pcap) = the walk
      // could not parse it, tshark's count (1, also rusticata's expectation) stands in.
      ownWalk: orElse(Number.parseInt(f[col('packet_records_own_walk')], 10), Number(f[col('packets')])),
    };
  });
}

function orElse(n: number, fallback: number): number {
  return Number.isNaN(n) ? fallback : n;
}
