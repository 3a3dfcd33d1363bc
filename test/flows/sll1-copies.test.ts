/**
 * Copies of one packet on several interfaces in an old-style `tcpdump -i any` capture (LINUX_SLL,
 * link type 113: no interface index, so every copy lands in the flow of interface `any`).
 *
 * fixtures/any-sll1-dnat.pcap was recorded by fixtures/record-any-sll1.sh (tcpdump 4.99.3,
 * libpcap 1.10.3): in throwaway namespaces nf-sll1-*, a host namespace with bridge br0
 * (10.99.0.1) and the container's veth port vc0, a client namespace on veth ve0 (10.98.0.1 ↔
 * 10.98.0.2), DNAT 10.98.0.1:8080 → 10.99.0.2:8000 (python3 -m http.server), one urllib GET of a
 * 6000-byte file, captured with `tcpdump -p -U -n -i any -y LINUX_SLL` in the host namespace.
 * Every packet shows up once on ve0 (pre-DNAT tuple: its own flow) and twice, on br0 and vc0,
 * under the container-side tuple. An iptables FORWARD rule dropped the server's first data
 * segment (6000 bytes, TSO) once after br0 and vc0 had seen it: the server's resending of those
 * bytes is a genuine retransmission, itself seen twice.
 *
 * The expectations come from tshark's decode of the capture (oracles/any-sll1-dnat.tcp.tsv, its
 * command line in the file's header): tshark counts every frame and flags 9 of the copies as
 * retransmissions.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCaptures } from '../../src/flows/load-captures.js';
import type { DirectionStats, Flow } from '../../src/flows/flow.js';
import { repoRoot } from '../helpers/paths.js';
import { oracles, readTsv } from './helpers.js';

const capture = path.resolve(repoRoot, 'test/flows/fixtures/any-sll1-dnat.pcap');

interface Frame {
  src: string;
  dst: string;
  ipId: string;
  seq: number;
  ack: string;
  flags: string;
  len: number;
  tsharkRetrans: boolean;
}

const frames: Frame[] = readTsv(path.join(oracles, 'any-sll1-dnat.tcp.tsv')).map((c) => ({
  src: `${c[3]}:${c[4]}`,
  dst: `${c[5]}:${c[6]}`,
  ipId: c[7],
  seq: Number(c[9]),
  ack: c[10],
  flags: c[11],
  len: Number(c[12]),
  tsharkRetrans: c[13] === '1',
}));

/** One direction of a tuple as tshark saw it: every frame, and the distinct packets among them. */
function direction(src: string, dst: string) {
  const all = frames.filter((f) => f.src === src && f.dst === dst);
  // A packet's identity on the wire: what its sender put in it. Copies share all of it.
  const distinct = new Map<string, Frame>();
  for (const f of all) distinct.set([f.ipId, f.seq, f.ack, f.flags, f.len].join('/'), f);
  // Distinct data segments all of whose bytes an earlier distinct segment already carried.
  let resent = 0;
  const sent: Array<[number, number]> = [];
  for (const f of distinct.values()) {
    if (f.len === 0) continue;
    if (sent.some(([s, e]) => s <= f.seq && f.seq + f.len <= e)) resent++;
    sent.push([f.seq, f.seq + f.len]);
  }
  return { frames: all.length, distinct: distinct.size, bytes: [...distinct.values()].reduce((n, f) => n + f.len, 0), resent };
}

function endpoint(e: Flow['src']): string {
  return `${e.ip}:${e.port}`;
}

function expectDirection(st: DirectionStats, want: ReturnType<typeof direction>): void {
  expect(st.packets).toBe(want.distinct);
  expect(st.copies).toBe(want.frames - want.distinct);
  expect(st.payloadBytes).toBe(want.bytes);
  expect(st.retransmissions).toBe(want.resent);
}

describe('LINUX_SLL v1 -i any capture: copies of a packet on several interfaces', async () => {
  const { flows, errors } = await loadCaptures([capture]);
  const tcp = flows.filter((f) => f.proto === 6);

  it('reads the capture as one interface `any` and finds the two tuples of the connection', () => {
    expect(errors).toEqual([]);
    const tuples = new Set(frames.map((f) => [f.src, f.dst].sort().join(' ')));
    expect(tcp.map((f) => [endpoint(f.src), endpoint(f.dst)].sort().join(' ')).sort()).toEqual([...tuples].sort());
    expect(new Set(tcp.map((f) => f.iface))).toEqual(new Set(['any']));
  });

  it('counts each packet once, reports its other sightings as copies, and never as retransmissions', () => {
    // The pre-DNAT tuple (client ↔ 10.98.0.1:8080) is seen on ve0 only: no copies there.
    const outer = tcp.find((f) => f.dst.port === 8080)!;
    const out = { fwd: direction(endpoint(outer.src), endpoint(outer.dst)), rev: direction(endpoint(outer.dst), endpoint(outer.src)) };
    expect(out.fwd.frames).toBe(out.fwd.distinct);
    expectDirection(outer.fwd, out.fwd);
    expectDirection(outer.rev, out.rev);
    expect(outer.fwd.retransmissions + outer.rev.retransmissions).toBe(0);

    // The container-side tuple is seen on br0 and vc0: every packet twice.
    const inner = tcp.find((f) => f.dst.port === 8000)!;
    const inn = { fwd: direction(endpoint(inner.src), endpoint(inner.dst)), rev: direction(endpoint(inner.dst), endpoint(inner.src)) };
    expect(inn.fwd.frames).toBe(2 * inn.fwd.distinct);
    expectDirection(inner.fwd, inn.fwd);
    expect(inner.fwd.retransmissions).toBe(0);
    // tshark flags copies of the client's packets as retransmissions; natflow must not.
    expect(frames.some((f) => f.tsharkRetrans && f.dst === endpoint(inner.dst) && f.len > 0)).toBe(true);
    expect(inner.state).toBe('closed-fin');
  });

  it('still counts the genuine retransmission of the dropped segment, once despite its two copies', () => {
    const inner = tcp.find((f) => f.dst.port === 8000)!;
    const rev = direction(endpoint(inner.dst), endpoint(inner.src));
    expect(rev.resent).toBeGreaterThan(0);
    expectDirection(inner.rev, rev);
    // The stream is whole: the 6000-byte file plus the 188-byte response header.
    expect(inner.rev.gaps).toBe(0);
    expect(inner.rev.streamBytes).toBe(188 + 6000);
  });

  it('keeps the packet types of every sighting, copies included', () => {
    const inner = tcp.find((f) => f.dst.port === 8000)!;
    // Client → container leaves br0 and vc0 (outgoing, 4); replies arrive on both (host, 0).
    expect(inner.sllPktTypes).toEqual([0, 4]);
    // Per direction: which way each side's packets went.
    expect(inner.sllPktTypesByDir).toEqual({ fwd: [4], rev: [0] });
  });
});
