/** Reading a recorded lab scenario (captures/NN-name/: per-interface pcaps, meta.json, truth.json). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { capturesDir } from './paths.js';

/** The scenarios that have a truth.json, sorted by name. */
export function scenarioNames(): string[] {
  if (!existsSync(capturesDir)) return [];
  return readdirSync(capturesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(capturesDir, d.name, 'truth.json')))
    .map((d) => d.name)
    .sort();
}

export function haveScenario(name: string): boolean {
  return existsSync(path.join(capturesDir, name, 'truth.json'));
}

/** The per-interface pcaps of a scenario, sorted (the `any` copy would duplicate them). */
export function scenarioCaptures(name: string): string[] {
  const dir = path.join(capturesDir, name);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pcap') && f !== 'any.pcap')
    .sort()
    .map((f) => path.join(dir, f));
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** A scenario's JSON file (`truth.json`, `meta.json`). */
export function readScenarioJson<T>(name: string, file: string): T {
  return readJson<T>(path.join(capturesDir, name, file));
}
