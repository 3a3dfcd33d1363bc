/**
 * `natflow analyze … | head`: when the reader goes away the output stops quietly. No stack
 * trace, no "Unhandled 'error' event", and the exit code is what the command had so far.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { capturesDir, repoRoot } from '../helpers/paths.js';

const bin = path.join(repoRoot, 'bin', 'natflow');
const scenario = path.join(capturesDir, '08-concurrent');

/** Runs natflow, closes its stdout after the first chunk (as `head -c1` would) and collects the rest. */
function runAndClose(args: string[]): Promise<{ code: number | null; stderr: string; firstChunk: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let firstChunk = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', (d: Buffer) => {
      firstChunk = d.toString();
      child.stdout.destroy();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, firstChunk }));
  });
}

describe('a closed output pipe', () => {
  // packets reads single files, the others a whole scenario directory.
  const cases: string[][] = [['analyze', scenario], ['analyze', '--markdown', scenario], ['analyze', '--json', scenario], ['flows', scenario], ['packets', path.join(scenario, 'eth0.pcap')]];
  for (const args of cases) {
    it(`natflow ${args.slice(0, -1).join(' ')} stops quietly`, async () => {
      const r = await runAndClose(args);
      expect(r.firstChunk.length).toBeGreaterThan(0);
      expect(r.stderr).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
      expect(r.code).toBe(0);
    }, 30_000);
  }
});
