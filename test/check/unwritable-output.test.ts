/**
 * Error lines of `check` follow the documented `natflow: <file>: <what>` (README, "Exit codes"):
 * a report or expectations file that cannot be written, an expectations file that cannot be read.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli as run } from '../helpers/run-cli.js';
import { scenarioCaptures } from '../helpers/scenario-dir.js';
import { examplesDir, scratchPath } from './check-fixtures.js';

afterEach(() => vi.restoreAllMocks());

const exp = path.join(examplesDir, '02-external-dnat.yaml');
const caps = scenarioCaptures('02-external-dnat');

describe('natflow check: an output file that cannot be written', () => {
  it('--junit in a directory that does not exist: one line naming the file, exit 2, before any capture is read', async () => {
    const junit = path.join(scratchPath('no-such-dir'), 'junit.xml');
    const { code, stdout, stderr } = await run(['check', '--expect', exp, '--junit', junit, ...caps]);
    expect(stderr).toBe(`natflow: ${junit}: cannot write the JUnit report: no such directory\n`);
    expect(stdout).toBe('');
    expect(code).toBe(2);
  });

  it('--junit naming a directory', async () => {
    const dir = path.dirname(scratchPath('x'));
    const { code, stderr } = await run(['check', '--expect', exp, '--junit', dir, ...caps]);
    expect(stderr).toBe(`natflow: ${dir}: cannot write the JUnit report: is a directory\n`);
    expect(code).toBe(2);
  });

  it('--init -o in a directory that does not exist', async () => {
    const out = path.join(scratchPath('no-such-dir-either'), 'expectations.yaml');
    const { code, stdout, stderr } = await run(['check', '--init', '-o', out, ...caps]);
    expect(stderr).toBe(`natflow: ${out}: cannot write the expectations file: no such directory\n`);
    expect(stdout).toBe('');
    expect(existsSync(out)).toBe(false);
    expect(code).toBe(2);
  });
});

describe('natflow check: an expectations file that cannot be read', () => {
  it('is a directory: natflow: <file>: <what>, no line and column', async () => {
    const dir = path.dirname(scratchPath('x'));
    const { code, stdout, stderr } = await run(['check', '--expect', dir, ...caps]);
    expect(stderr).toBe(`natflow: ${dir}: cannot read expectations: is a directory\n`);
    expect(stdout).toBe('');
    expect(code).toBe(2);
  });
});
