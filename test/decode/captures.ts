import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pcapsDir } from '../helpers/paths.js';

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
