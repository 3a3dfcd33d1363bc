import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sanitizeText } from '../../src/present/sanitize.js';
import { runCli as run } from '../helpers/run-cli.js';
import { havePcaps, pcapsDir } from '../helpers/paths.js';
import { readOracle } from './tshark-oracle.js';

afterEach(() => vi.restoreAllMocks());

describe.skipIf(!havePcaps)('natflow packets', () => {
  it('--json prints one object per packet with the documented fields, matching tshark', async () => {
    const file = join(pcapsDir, 'tcpdump/print-flags.pcap');
    const { code, stdout, stderr } = await run(['packets', '--json', file]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    const oracle = readOracle(`${file}.fields.tsv`);
    expect(lines).toHaveLength(oracle.length);
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const fields = ['n', 'file', 'iface', 'ts', 'len', 'caplen', 'linktype', 'src', 'dst', 'ipId', 'ttl', 'proto', 'sport', 'dport', 'seq', 'ack', 'flags', 'payloadLen', 'icmpType', 'icmpCode', 'warnings'];
    objs.forEach((o, i) => {
      for (const f of fields) expect(o).toHaveProperty(f);
      const row = oracle[i];
      expect(o).toMatchObject({
        n: i + 1,
        file,
        iface: 'print-flags',
        ts: row['frame.time_epoch'],
        len: Number(row['frame.len']),
        caplen: Number(row['frame.cap_len']),
        linktype: 1,
        src: row['ip.src'],
        dst: row['ip.dst'],
        ipId: parseInt(row['ip.id'], 16),
        ttl: Number(row['ip.ttl']),
        proto: 6,
        sport: Number(row['tcp.srcport']),
        dport: Number(row['tcp.dstport']),
        seq: Number(row['tcp.seq_raw']),
        ack: Number(row['tcp.ack_raw']),
        flags: parseInt(row['tcp.flags'], 16),
        payloadLen: Number(row['tcp.len']),
        icmpType: null,
        icmpCode: null,
        warnings: [],
      });
    });
  });

  it('text lines show flags, seq/ack and length like tcpdump -nn, and name=path names the interface', async () => {
    const file = join(pcapsDir, 'tcpdump/print-flags.pcap');
    const { stdout } = await run(['packets', `eth9=${file}`]);
    const lines = stdout.trimEnd().split('\n');
    // tcpdump's own rendering of the SYN-ACK (tests/print-flags: "Flags [S.], seq 930778609, ack 928549247, win 32767").
    expect(lines[1]).toContain(' eth9 IP 127.0.0.1.80 > 127.0.0.1.55920: Flags [S.], seq 930778609, ack 928549247, win 32767');
    expect(lines[3]).toMatch(/Flags \[P\.\].* length 202$/);
  });

  it('names interfaces of SLL2 captures by index and ICMP packets by type', async () => {
    const { stdout } = await run(['packets', '--json', join(pcapsDir, 'zeek/linux_dlt_sll2.pcap')]);
    const first = JSON.parse(stdout.split('\n')[0]) as Record<string, unknown>;
    expect(first.iface).toMatch(/^if\d+$/);
    expect(first.icmpType).toBe(8);
  });

  it('a file cut mid-record: earlier packets printed, one-line error with the byte offset, exit 2', async () => {
    const file = join(pcapsDir, 'derived/get-truncated-mid-record-data.pcap');
    const oracle = readOracle(`${file}.fields.tsv`);
    const { code, stdout, stderr } = await run(['packets', file]);
    expect(code).toBe(2);
    // tshark's oracle for this file lists the packets before the cut.
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(oracle.length);
    expect(lines[lines.length - 1]).toContain(oracle[oracle.length - 1]['frame.time_epoch']);
    expect(stderr).toMatch(new RegExp(`^natflow: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+ at byte \\d+\\n$`));
  });
});

describe('sanitizeText', () => {
  it('removes escape sequences and control characters, keeps printable Unicode', () => {
    expect(sanitizeText('a\x1b[31mred\x1b[0m b')).toBe('ared b');
    expect(sanitizeText('title\x1b]0;pwned\x07end')).toBe('titleend');
    expect(sanitizeText('x\x00\x07\x7f\x9b2Jy')).toBe('xy');
    expect(sanitizeText('tab\there\nnl')).toBe('tabherenl');
    expect(sanitizeText('eth0 — café ✓ 网络')).toBe('eth0 — café ✓ 网络');
  });
});
