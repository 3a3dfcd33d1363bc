import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli as run } from '../helpers/run-cli.js';
import { capturesDir, pcapsDir as pcaps } from '../helpers/paths.js';
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { readTsv } from './helpers.js';

afterEach(() => vi.restoreAllMocks());

const STABLE = ['id', 'iface', 'proto', 'src', 'dst', 'communityId', 'firstTs', 'lastTs', 'state', 'packets', 'bytes', 'isn', 'app'];

describe('natflow flows', () => {
  it('--json: one object per flow with the stable fields, times, ISNs and endpoints as tshark decodes them', async () => {
    const file = path.join(pcaps, 'pcapplusplus', 'three_http_streams.pcap');
    const { code, stdout, stderr } = await run(['flows', '--json', file]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const flows = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // tshark fields: 2 time_epoch, 7/8 ip.src/dst, 14/15 ports, 16 seq_raw, 18 flags, 23 tcp.stream
    const rows = readTsv(`${file}.fields.tsv`);
    const streams = new Set(rows.map((r) => r[22]));
    expect(flows).toHaveLength(streams.size);
    for (const f of flows) {
      for (const k of STABLE) expect(f, k).toHaveProperty(k);
      const syn = rows.find((r) => Number.parseInt(r[17], 16) === 0x002 && `${r[6]}:${r[13]}` === f.src)!;
      expect(syn, `SYN of ${String(f.src)}`).toBeDefined();
      expect(f.dst).toBe(`${syn[7]}:${syn[14]}`);
      const stream = rows.filter((r) => r[22] === syn[22]);
      expect(f.packets).toBe(stream.length);
      expect(f.firstTs).toBe(stream[0][1].slice(0, -3));
      expect(f.lastTs).toBe(stream[stream.length - 1][1].slice(0, -3));
      expect((f.isn as { src: number }).src).toBe(Number(syn[15]));
      expect(f.proto).toBe('tcp');
      expect(f.state).toBe('closed-fin');
      expect((f.app as { http: { method: string } }).http.method).toBe('GET');
    }
  });

  it('a capture that caught the SYN-ACK before the SYN holds one whole connection, not a half-flow', async () => {
    const file = path.join(pcaps, 'zeek', 'tcp', 'handshake-reorder.pcap');
    const { code, stdout } = await run(['flows', '--json', file]);
    expect(code).toBe(0);
    const flows = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { src: string; halfFlow: boolean; packets: number });
    // tshark: one TCP stream; its first frame is the SYN-ACK (flags 0x012), the SYN follows.
    const rows = readTsv(`${file}.fields.tsv`);
    expect(Number.parseInt(rows[0][17], 16)).toBe(0x012);
    const syn = rows.find((r) => Number.parseInt(r[17], 16) === 0x002)!;
    expect(flows).toHaveLength(1);
    expect(flows[0].src).toBe(`${syn[6]}:${syn[13]}`);
    expect(flows[0].packets).toBe(rows.length);
    expect(flows[0].halfFlow).toBe(false);
  });

  it('writes IPv6 endpoints in brackets', async () => {
    const { stdout } = await run(['flows', '--json', path.join(pcaps, 'pcapplusplus', 'four_ipv6_http_streams.pcap')]);
    const f = JSON.parse(stdout.split('\n')[0]) as { src: string; dst: string };
    expect(f.src).toMatch(/^\[[0-9a-f:]+\]:\d+$/);
    expect(f.dst).toMatch(/^\[[0-9a-f:]+\]:80$/);
  });

  it('--format zeek: a conn.log with a community_id column holding tshark\'s Community ID, and --community-id-seed changes it', async () => {
    const file = path.join(pcaps, 'community-id', 'pcaps', 'tcp.pcap');
    const tshark = readTsv(`${file}.communityid.tsv`)[0][1];
    const { code, stdout } = await run(['flows', '--format', 'zeek', file]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
    expect(fields.slice(0, 6)).toEqual(['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p']);
    const rows = lines.filter((l) => !l.startsWith('#')).map((l) => l.split('\t'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveLength(fields.length);
    expect(rows[0][fields.indexOf('community_id')]).toBe(tshark);
    const seeded = await run(['flows', '--format', 'zeek', '--community-id-seed', '1', file]);
    expect(seeded.stdout).not.toContain(tshark);
  });

  it('text listing fits 80 columns', async () => {
    const { stdout } = await run(['flows', path.join(pcaps, 'rusticata-pcap-parser', 'wireshark_samples-test.pcapng')]);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80);
  });

  it('a truncated capture: flows before the fault are printed, one error line, exit 2', async () => {
    const good = path.join(pcaps, 'pcapplusplus', 'three_http_streams.pcap');
    const bad = path.join(pcaps, 'derived', 'get-truncated-mid-record-data.pcap');
    const { code, stdout, stderr } = await run(['flows', '--json', good, bad]);
    expect(code).toBe(2);
    const ifaces = stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { iface: string }).iface);
    expect(ifaces.filter((n) => n === 'three_http_streams')).toHaveLength(3);
    expect(ifaces).toContain('get-truncated-mid-record-data');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^natflow: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+ at byte \\d+\\n$`));
  });

  it('prints a time of day for a timestamp beyond what a Date can hold (64-bit pcapng ticks) instead of failing', async () => {
    const file = path.join(capturesDir, '01-localhost-proxy', 'all.pcapng');
    const bytes = readFileSync(file);
    expect(bytes.readUInt32LE(8)).toBe(0x1a2b3c4d); // little-endian section: the offsets below hold
    // The first Enhanced Packet Block gets the largest positive high timestamp word.
    let off = 0;
    while (bytes.readUInt32LE(off) !== 6) off += bytes.readUInt32LE(off + 4);
    const patched = Buffer.from(bytes);
    patched.writeUInt32LE(0x7fffffff, off + 12);
    const bad = path.join(mkdtempSync(path.join(os.tmpdir(), 'natflow-ts-')), 'far-future.pcapng');
    writeFileSync(bad, patched);

    const plain = await run(['flows', file]);
    const { code, stdout, stderr } = await run(['flows', bad]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const rowTimes = (text: string) => text.split('\n').filter((l) => /^f\d+ /.test(l)).map((l) => l.split(/\s+/)[1]);
    const times = rowTimes(stdout);
    expect(times.length).toBe(rowTimes(plain.stdout).length);
    for (const t of times) expect(t).toMatch(/^\d\d:\d\d:\d\d\.\d{6}$/);
    // Ordinary timestamps still print the UTC time of day a Date gives for them.
    const json = (await run(['flows', '--json', file])).stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { firstTs: string });
    const expected = json.map((f) => `${new Date(Number(f.firstTs.split('.')[0]) * 1000).toISOString().slice(11, 19)}.${f.firstTs.split('.')[1]}`);
    expect(rowTimes(plain.stdout)).toEqual(expected);
  });

  it('a dangling symlink in a capture directory is one capture error naming it; the directory\'s other captures are still read', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'natflow-dir-'));
    copyFileSync(path.join(capturesDir, '01-localhost-proxy', 'lo.pcap'), path.join(dir, 'lo.pcap'));
    const gone = path.join(dir, 'gone.pcap');
    symlinkSync(path.join(dir, 'does-not-exist'), gone);
    const { code, stdout, stderr } = await run(['flows', '--json', dir]);
    expect(code).toBe(2);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^natflow: ${gone.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+ at byte 0\\n$`));
    const flows = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { iface: string });
    expect(flows.length).toBeGreaterThan(0);
    expect(flows.every((f) => f.iface === 'lo')).toBe(true);
  });
});
