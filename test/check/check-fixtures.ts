import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { readScenarioJson } from '../helpers/scenario-dir.js';

export const examplesDir = path.join(repoRoot, 'examples', 'expectations');

export interface TruthTuple {
  proto: string;
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
}

export interface TruthConversation {
  id: string;
  /** Text the lab client put in the request (HTTP query, DNS name, ICMP payload). */
  marker: string | null;
  proto: string;
  mechanism: string;
  legs: { role: string; interfaces: string[]; tuple: TruthTuple }[];
}

export function readTruth(scenario: string): TruthConversation[] {
  return readScenarioJson<{ conversations: TruthConversation[] }>(scenario, 'truth.json').conversations;
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
