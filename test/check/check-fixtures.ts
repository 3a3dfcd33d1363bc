import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const capturesDir = path.join(repoRoot, 'captures');
export const examplesDir = path.join(repoRoot, 'examples', 'expectations');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process, collecting what it writes. */
export async function run(args: string[]): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write);
  try {
    const code = await main(['node', 'natflow', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** The per-interface captures of a recorded scenario (the `any` copy would duplicate them). */
export function scenarioCaptures(scenario: string): string[] {
  const dir = path.join(capturesDir, scenario);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pcap') && f !== 'any.pcap')
    .sort()
    .map((f) => path.join(dir, f));
}

export function haveScenario(scenario: string): boolean {
  return existsSync(path.join(capturesDir, scenario, 'truth.json'));
}

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
  const t = JSON.parse(readFileSync(path.join(capturesDir, scenario, 'truth.json'), 'utf8')) as { conversations: TruthConversation[] };
  return t.conversations;
}

let scratch: string | null = null;

/** Writes a file into a per-run scratch directory and returns its path. */
export function scratchFile(name: string, text: string): string {
  scratch ??= mkdtempSync(path.join(tmpdir(), 'natflow-check-'));
  const p = path.join(scratch, name);
  writeFileSync(p, text);
  return p;
}

export function scratchPath(name: string): string {
  scratch ??= mkdtempSync(path.join(tmpdir(), 'natflow-check-'));
  return path.join(scratch, name);
}
