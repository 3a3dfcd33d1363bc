/**
 * TCP reassembly against PcapPlusPlus's TcpReassembly oracles (pcapplusplus/expected/*_output.txt:
 * both directions' payload, concatenated in delivery order). Only the oracles made from the raw
 * file apply (the README: the retransmission / missing-data / out-of-order ones come from packets
 * re-ordered or dropped by the test code); our streams are per direction, so the oracle must be an
 * interleaving of our two reassembled streams, with every byte used.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCaptures } from '../../src/flows/load-captures.js';
import type { Flow } from '../../src/flows/flow.js';
import { StreamReassembler } from '../../src/flows/tcp-reassembly.js';
import { pcapsDir as pcaps } from '../helpers/paths.js';

const ppp = path.join(pcaps, 'pcapplusplus');

/** True when `want` is fwd and rev interleaved in chunks (greedy: longest match first). */
function isInterleaving(want: Uint8Array, fwd: Uint8Array, rev: Uint8Array): boolean {
  let w = 0;
  let i = 0;
  let j = 0;
  const run = (s: Uint8Array, k: number) => {
    let n = 0;
    while (w + n < want.length && k + n < s.length && want[w + n] === s[k + n]) n++;
    return n;
  };
  while (w < want.length) {
    const a = run(fwd, i);
    const b = run(rev, j);
    if (a === 0 && b === 0) return false;
    if (a >= b) {
      i += a;
      w += a;
    } else {
      j += b;
      w += b;
    }
  }
  return i === fwd.length && j === rev.length;
}

async function tcpFlows(file: string): Promise<Flow[]> {
  const { flows, errors } = await loadCaptures([path.join(ppp, file)], { flowOptions: { prefixBytes: 1 << 20 } });
  expect(errors).toEqual([]);
  return flows.filter((f) => f.proto === 6 && f.fwd.streamBytes + f.rev.streamBytes > 0);
}

const CASES: [pcap: string, oracles: string[]][] = [
  ['one_tcp_stream.pcap', ['one_tcp_stream_output.txt']],
  ['one_http_stream_fin.pcap', ['one_http_stream_fin_output.txt']],
  ['three_http_streams.pcap', ['three_http_streams_conn_1_output.txt', 'three_http_streams_conn_2_output.txt', 'three_http_streams_conn_3_output.txt']],
  ['one_ipv6_http_stream.pcap', ['one_ipv6_http_stream.txt']],
  ['four_ipv6_http_streams.pcap', ['one_ipv6_http_stream2.txt', 'one_ipv6_http_stream3.txt', 'one_ipv6_http_stream4.txt']],
];

describe('TCP reassembly agrees with PcapPlusPlus', () => {
  for (const [pcap, outs] of CASES) {
    it(`${pcap}: each oracle stream is one flow's two directions, complete and gap-free`, async () => {
      const flows = await tcpFlows(pcap);
      for (const out of outs) {
        const want = new Uint8Array(readFileSync(path.join(ppp, 'expected', out)));
        const match = flows.find((f) => isInterleaving(want, f.fwd.prefix, f.rev.prefix));
        expect(match, `${out}: no flow reassembles to it`).toBeDefined();
        expect(match!.fwd.streamBytes + match!.rev.streamBytes).toBe(want.length);
        expect(match!.fwd.gaps + match!.rev.gaps).toBe(0);
      }
    });
  }

  it('the digest covers the whole stream even when the prefix is cut', async () => {
    const full = await tcpFlows('one_tcp_stream.pcap');
    const { flows } = await loadCaptures([path.join(ppp, 'one_tcp_stream.pcap')], { flowOptions: { prefixBytes: 100 } });
    const cut = flows.find((f) => f.id === full[0].id)!;
    expect(cut.fwd.prefix.length).toBe(100);
    expect(cut.fwd.digest).toBe(full[0].fwd.digest);
    expect(cut.fwd.streamBytes).toBe(full[0].fwd.streamBytes);
  });
});

describe('StreamReassembler on re-ordered segments of a real stream', () => {
  // Take the client→server segments of one_tcp_stream.pcap and feed them shuffled, duplicated and
  // with one dropped, as PcapPlusPlus's own tests do; the oracle then is the same stream with a gap.
  it('resolves duplicates and reordering, and records a dropped segment as a gap', async () => {
    const flows = await tcpFlows('one_tcp_stream.pcap');
    const f = flows[0];
    const s = f.samples;
    const segs: { seq: number; len: number }[] = [];
    for (let i = 0; i < s.count; i++) if (s.dir[i] === 1 && s.payloadLen[i] > 0) segs.push({ seq: s.seq[i], len: s.payloadLen[i] });
    expect(segs.length).toBeGreaterThan(4);
    const stream = f.rev.prefix;
    const base = segs[0].seq;
    const bytesOf = (g: { seq: number; len: number }) => stream.subarray((g.seq - base) >>> 0, ((g.seq - base) >>> 0) + g.len);

    const r = new StreamReassembler({ prefixBytes: 1 << 20, maxPendingSegments: 64, maxPendingBytes: 1 << 20, maxGapList: 8 });
    r.setIsn(f.rev.isn!);
    const order = [0, 2, 1, 1, 3, ...segs.slice(5).map((_, k) => k + 5)]; // swap 1/2, duplicate 1, drop 4
    for (const k of order) r.segment(segs[k].seq, bytesOf(segs[k]), 0, segs[k].len, segs[k].len, 0);
    r.flush(0);
    const dropped = segs[4].len;
    expect(r.gaps).toBe(1);
    expect(r.gapBytes).toBe(dropped);
    expect(r.retransmissions).toBe(1);
    expect(r.outOfOrder).toBeGreaterThanOrEqual(1);
    const off = (segs[4].seq - base) >>> 0;
    const expected = new Uint8Array([...stream.subarray(0, off), ...stream.subarray(off + dropped)]);
    expect(Buffer.from(r.prefix).equals(Buffer.from(expected))).toBe(true);
  });
});
