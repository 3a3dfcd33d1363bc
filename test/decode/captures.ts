import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const pcapsDir = resolve(repoRoot, '../shared/pcaps');
export const havePcaps = existsSync(join(pcapsDir, 'MANIFEST.tsv'));

/** Every capture that has a tshark `*.fields.tsv` oracle beside it, relative to pcapsDir. */
export function capturesWithOracle(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.fields.tsv')) out.push(p.slice(pcapsDir.length + 1, -'.fields.tsv'.length));
    }
  };
  walk(pcapsDir);
  return out;
}

export interface ManifestRow {
  path: string;
  broken: string;
  tsharkRead: string;
  /** Frames tshark reports, and packet records found by walking the file. */
  packets: string;
  records: string;
}

export function readManifest(): ManifestRow[] {
  const lines = readFileSync(join(pcapsDir, 'MANIFEST.tsv'), 'utf8').split('\n').filter((l) => l !== '');
  const header = lines[0].split('\t');
  const col = (name: string): number => header.indexOf(name);
  return lines.slice(1).map((l) => {
    const c = l.split('\t');
    return {
      path: c[col('path')],
      broken: c[col('broken_on_purpose')],
      tsharkRead: c[col('tshark_read')],
      packets: c[col('packets')],
      records: c[col('packet_records_own_walk')],
    };
  });
}
