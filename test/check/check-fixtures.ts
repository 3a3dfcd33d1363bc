import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { readScenarioJson } from '../helpers/scenario-dir.js';
import type { Truth, TruthConversation } from '../helpers/truth.js';

export const examplesDir = path.join(repoRoot, 'examples', 'expectations');

export function readTruth(scenario: string): TruthConversation[] {
  return readScenarioJson<Truth>(scenario, 'truth.json').conversations;
}

let scratch: string | null = null;

export function scratchPath(name: string): string {
  scratch ??= mkdtempSync(path.join(tmpdir(), 'natflow-check-'));
  return path.join(scratch, name);
}

/** Writes a file into a per-run scratch directory and returns its path. */
export function scratchFile(name: string, text: string): string {
  const p = scratchPath(name);
  writeFileSync(p, text);
  return p;
}
