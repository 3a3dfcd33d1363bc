/**
 * The whole `natflow analyze` command as a user runs it: a fresh node process (startup and module
 * loading included) reading the capture and writing its output to /dev/null, timed from outside;
 * its peak RSS is reported by a module preloaded into that process (no GNU time needed).
 */
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSync, closeSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));
/** bin/natflow of this checkout (dist/bench/ → repo root). */
const NATFLOW = join(here, '..', '..', 'bin', 'natflow');
const PEAK_RSS_HOOK = join(here, 'peak-rss-hook.js');

export interface CliRun {
  seconds: number;
  peakRssMB: number;
  exitCode: number;
}

/** Runs `natflow <args>` once, stdout to /dev/null. */
export function runNatflowCli(args: readonly string[]): CliRun {
  const devNull = openSync('/dev/null', 'w');
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['--import', PEAK_RSS_HOOK, NATFLOW, ...args], { stdio: ['ignore', devNull, 'pipe'], encoding: 'utf8' });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const m = /natflow-peak-rss-kb (\d+)/.exec(r.stderr ?? '');
    return { seconds, peakRssMB: m ? Number(m[1]) / 1024 : NaN, exitCode: r.status ?? -1 };
  } finally {
    closeSync(devNull);
  }
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
