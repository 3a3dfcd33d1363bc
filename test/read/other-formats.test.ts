/**
 * What people hand a capture tool by mistake gets named, with what to do instead: a capture
 * compressed by something other than gzip, an archive, another tool's capture format, or
 * tcpdump's printed text (`tcpdump > cap.pcap` instead of `-w cap.pcap`). Anything else is
 * still named by its first bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/read/index.js';
import { loadCaptures } from '../../src/flows/load-captures.js';
import { capturesDir } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';
import { hasCommand } from '../helpers/tools.js';

const tmp = tempDir('natflow-other-formats-');
const capture = path.join(capturesDir, '02-external-dnat', 'eth0.pcap');
const bytes = readFileSync(capture);

async function errorOf(p: string): Promise<string | undefined> {
  const res = await readCapture(p, () => undefined);
  return res.error?.message;
}

const hex = (b: Uint8Array) => [...b.subarray(0, 8)].map((x) => x.toString(16).padStart(2, '0')).join(' ');

describe('a file that is not a capture but something natflow can name', () => {
  // The container formats' headers before a real capture's bytes: what their tools write first.
  const headed: [string, number[], string, string][] = [
    ['e.pcap.xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04], 'xz-compressed', 'decompress it first (xz -d)'],
    ['e.pcap.zst', [0x28, 0xb5, 0x2f, 0xfd, 0x64, 0x00, 0x00, 0x00], 'zstd-compressed', 'decompress it first (zstd -d)'],
    ['e.pcap.bz2', [0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26], 'bzip2-compressed', 'decompress it first (bunzip2)'],
    ['e.pcap.lz4', [0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x00], 'lz4-compressed', 'decompress it first (lz4 -d)'],
    ['e.zip', [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00], 'a zip archive', 'extract the capture first (unzip)'],
    ['e.snoop', [...Buffer.from('snoop\0\0\0')], 'a Solaris snoop capture', 'convert it first (editcap -F pcap)'],
    ['e.cap', [...Buffer.from('GMBU'), 0x00, 0x02, 0x00, 0x00], 'a Microsoft Network Monitor capture', 'convert it first (editcap -F pcap)'],
  ];
  it.each(headed)('%s: %s', async (name, head, what, advice) => {
    const p = path.join(tmp, name);
    writeFileSync(p, Buffer.concat([Buffer.from(head), bytes]));
    expect(await errorOf(p)).toBe(`${p}: ${what}, not a pcap, pcapng or gzip file: ${advice} (first bytes ${hex(Buffer.from(head))}) at byte 0`);
  });

  it('a tar archive of captures (its magic is 257 bytes in)', async () => {
    const p = path.join(tmp, 'captures.tar');
    execFileSync('tar', ['cf', p, '-C', path.dirname(capture), path.basename(capture)]);
    expect(await errorOf(p)).toMatch(new RegExp(`^${p.replace(/[.]/g, '\\.')}: a tar archive, not a pcap, pcapng or gzip file: extract the captures first \\(tar xf\\) \\(first bytes [0-9a-f ]+\\) at byte 0$`));
  });

  it.skipIf(!hasCommand('tcpdump'))("tcpdump's printed text, saved where a capture was meant to go", async () => {
    const p = path.join(tmp, 'printed.pcap');
    writeFileSync(p, execFileSync('tcpdump', ['-nn', '-r', capture], { stdio: ['ignore', 'pipe', 'ignore'] }));
    expect(await errorOf(p)).toMatch(/: text, not a pcap, pcapng or gzip file: if it is tcpdump's printed output, record with tcpdump -w FILE instead \(first bytes /);
  });

  it('binary that is none of these is named by its first bytes only', async () => {
    const p = path.join(tmp, 'unknown.bin');
    // A real capture with its magic overwritten: nothing above starts like it.
    const b = Buffer.from(bytes);
    b.writeUInt32BE(0xdeadbeef, 0);
    writeFileSync(p, b);
    expect(await errorOf(p)).toBe(`${p}: not a pcap, pcapng or gzip file (first bytes ${hex(b)}) at byte 0`);
  });

  it('a directory holding only compressed captures says so', async () => {
    const d = path.join(tmp, 'packed');
    mkdirSync(d);
    for (const n of ['eth0.pcap.xz', 'docker0.pcap.zst', 'notes.txt']) writeFileSync(path.join(d, n), 'x');
    const r = await loadCaptures([d]);
    expect(r.errors.map((e) => e.message)).toEqual([
      `${d}: no capture files (*.pcap, *.pcapng, *.cap, *.gz) in directory (it holds docker0.pcap.zst and 1 more: decompress or extract them first) at byte 0`,
    ]);
  });
});
