/**
 * `natflow tui` on captures it cannot read at all: one line on stderr and exit 2, as analyze,
 * and the screen never taken (nothing written to stdout, no alternate screen).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { capturesDir, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('natflow-tui-bad-');
const emptyDir = path.join(dir, 'empty');
mkdirSync(emptyDir);
// A classic pcap with its header and the start of the first record only: not one packet.
const headerOnly = path.join(dir, 'lo-header-only.pcap');
writeFileSync(headerOnly, readFileSync(path.join(capturesDir, '01-localhost-proxy/lo.pcap')).subarray(0, 100));
const notCapture = path.join(dir, 'notes.pcap');
copyFileSync(path.join(repoRoot, 'package.json'), notCapture);

/** The command refuses without a terminal: pretend stdin and stdout are one. */
const streams = [process.stdin, process.stdout] as const;
beforeEach(() => {
  for (const s of streams) Object.defineProperty(s, 'isTTY', { value: true, configurable: true });
});
afterEach(() => {
  for (const s of streams) Reflect.deleteProperty(s, 'isTTY');
});

describe('natflow tui with nothing readable', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a missing path', path.join(dir, 'nonexist'), /^cannot open: no such file \(ENOENT\) at byte 0$/],
    ['an empty directory', emptyDir, /^no capture files .* in directory at byte 0$/],
    ['a file that is not a capture', notCapture, /^text, not a pcap, pcapng or gzip file: .* at byte 0$/],
    ['a capture cut short before its first packet', headerOnly, /^truncated record .* at byte 24$/],
  ];
  for (const [what, arg, reason] of cases) {
    it(`${what}: one line natflow: <file>: <what> at byte <offset>, exit 2, the screen untouched`, async () => {
      const r = await runCli(['tui', arg]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toBe('');
      expect(lines[0].startsWith(`natflow: ${arg}: `)).toBe(true);
      expect(lines[0].slice(`natflow: ${arg}: `.length)).toMatch(reason);
    }, 20_000);
  }
});
