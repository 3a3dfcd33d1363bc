/**
 * Per-conversation packet and byte counts against tshark's `-z conv,tcp` / `-z conv,udp`
 * (oracle files under oracles/conv, made by oracles/make-conv-oracles.sh). natflow splits a
 * conversation per interface and per connection (port reuse); tshark does neither, so our flows
 * are summed per address/port pair before comparing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCaptures } from '../../src/flows/load-captures.js';
import type { Flow } from '../../src/flows/flow.js';
import { pcapsDir as pcaps } from '../helpers/paths.js';
import { oracles } from './helpers.js';

interface ConvRow {
  proto: 6 | 17;
  a: string;
  b: string;
  /** Frames / bytes A→B ("->") and B→A ("<-"); bytes null when tshark rounded them to kB. */
  abFrames: number;
  abBytes: number;
  abUnit: string;
  baFrames: number;
  baBytes: number;
  baUnit: string;
}

/**
 * Files whose tshark conversations differ by design, with the reason. Everything else must match
 * exactly (bytes within tshark's kB rounding).
 */
const FRAGMENTS =
  'tshark reassembles IP fragments and counts the datagram at its last fragment (that frame\'s bytes); natflow counts every fragment in its datagram\'s flow, as the frames are (checked frame by frame in fragments.test.ts)';
const ROUTING_HEADER = 'tshark keys the conversation on the IPv6 routing header\'s final destination; natflow on the IPv6 header\'s destination, as it is on the wire';
const TUNNEL = 'tshark decodes the tunnelled (GRE / VXLAN) inner conversations; natflow stops at the outer header';
const KNOWN_DIFFERENCES: Record<string, string> = {
  'pcapplusplus/ip4_fragments.pcap': FRAGMENTS,
  'pcapplusplus/ip6_fragments.pcap': FRAGMENTS,
  'zeek/ipv4/fragmented-1.pcap': FRAGMENTS,
  'zeek/ipv4/fragmented-3.pcap': FRAGMENTS,
  'zeek/ipv6-fragmented-dns.pcap': FRAGMENTS,
  'tcpdump/ipv6-routing-header.pcap': ROUTING_HEADER,
  'zeek/ipv6-hbh-routing0.pcap': ROUTING_HEADER,
  'zeek/tunnels/gre-sample.pcap': TUNNEL,
  'zeek/tunnels/vxlan-encapsulated-http.pcap': TUNNEL,
};

const ROW = /^(\S+)\s+<->\s+(\S+)\s+(\d+) ([\d,.]+) (bytes|kB|MB)\s+(\d+) ([\d,.]+) (bytes|kB|MB)\s+\d+ [\d,.]+ (?:bytes|kB|MB)/;

function parseOracle(text: string): { command: string; rows: ConvRow[] } {
  const lines = text.split('\n');
  const command = lines[0].replace(/^# /, '');
  const rows: ConvRow[] = [];
  let proto: 6 | 17 | 0 = 0;
  for (const line of lines) {
    if (line.startsWith('TCP Conversations')) proto = 6;
    else if (line.startsWith('UDP Conversations')) proto = 17;
    const m = ROW.exec(line);
    if (!m || proto === 0) continue;
    const num = (s: string) => Number(s.replace(/,/g, ''));
    // "<-" is B→A, "->" is A→B.
    rows.push({
      proto,
      a: m[1],
      b: m[2],
      baFrames: num(m[3]),
      baBytes: num(m[4]),
      baUnit: m[5],
      abFrames: num(m[6]),
      abBytes: num(m[7]),
      abUnit: m[8],
    });
  }
  return { command, rows };
}

function endpoint(ip: string, port: number): string {
  return `${ip}:${port}`;
}

interface Sum {
  frames: Map<string, number>;
  bytes: Map<string, number>;
}

/** Our flows summed per (proto, directed endpoint pair). */
function sumFlows(flows: Flow[]): Sum {
  const frames = new Map<string, number>();
  const bytes = new Map<string, number>();
  const add = (k: string, f: number, b: number) => {
    frames.set(k, (frames.get(k) ?? 0) + f);
    bytes.set(k, (bytes.get(k) ?? 0) + b);
  };
  for (const f of flows) {
    if (f.proto !== 6 && f.proto !== 17) continue;
    const s = endpoint(f.src.ip, f.src.port);
    const d = endpoint(f.dst.ip, f.dst.port);
    add(`${f.proto} ${s} ${d}`, f.fwd.packets, f.fwd.bytes);
    add(`${f.proto} ${d} ${s}`, f.rev.packets, f.rev.bytes);
  }
  return { frames, bytes };
}

function bytesMatch(ours: number, theirs: number, unit: string): boolean {
  if (unit === 'bytes') return ours === theirs;
  const scale = unit === 'kB' ? 1e3 : 1e6;
  return Math.abs(ours / scale - theirs) < 1;
}

const dir = path.join(oracles, 'conv');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));

describe('flow counts agree with tshark -z conv,tcp / conv,udp', () => {
  it('has oracles for the reference captures', () => {
    expect(files.length).toBeGreaterThan(50);
  });
  for (const f of files) {
    const rel = f.replace(/\.txt$/, '').replace(/__/g, '/');
    const reason = KNOWN_DIFFERENCES[rel];
    const test = reason ? it.skip : it;
    test(`${rel}${reason ? ` (differs: ${reason})` : ''}`, async () => {
      const { command, rows } = parseOracle(readFileSync(path.join(dir, f), 'utf8'));
      expect(command).toMatch(/^tshark -r /);
      const { flows, errors } = await loadCaptures([path.join(pcaps, rel)]);
      expect(errors).toEqual([]);
      const sum = sumFlows(flows);
      let compared = 0;
      for (const r of rows) {
        const ab = `${r.proto} ${r.a} ${r.b}`;
        const ba = `${r.proto} ${r.b} ${r.a}`;
        expect(sum.frames.get(ab) ?? 0, `${ab} frames`).toBe(r.abFrames);
        expect(sum.frames.get(ba) ?? 0, `${ba} frames`).toBe(r.baFrames);
        expect(bytesMatch(sum.bytes.get(ab) ?? 0, r.abBytes, r.abUnit), `${ab} bytes ${sum.bytes.get(ab)} vs ${r.abBytes} ${r.abUnit}`).toBe(true);
        expect(bytesMatch(sum.bytes.get(ba) ?? 0, r.baBytes, r.baUnit), `${ba} bytes ${sum.bytes.get(ba)} vs ${r.baBytes} ${r.baUnit}`).toBe(true);
        compared++;
      }
      // And no TCP/UDP conversation of ours that tshark does not have.
      const theirs = new Set(rows.flatMap((r) => [`${r.proto} ${r.a} ${r.b}`, `${r.proto} ${r.b} ${r.a}`]));
      const extra = [...sum.frames.keys()].filter((k) => !theirs.has(k) && (sum.frames.get(k) ?? 0) > 0);
      expect(extra).toEqual([]);
      expect(compared).toBe(rows.length);
    });
  }
});
