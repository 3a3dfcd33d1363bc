/**
 * IP fragments: a datagram's later fragments carry no ports, and are counted in the flow its
 * first fragment went to (found by addresses, protocol and IP ID, as the receiver reassembles
 * them). The oracle is tshark's frame-by-frame decode without reassembly: per direction of each
 * address pair, as many frames and bytes as natflow's flows between those addresses hold.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCaptures } from '../../src/flows/load-captures.js';
import { pcapsDir } from '../helpers/paths.js';
import { hasCommand } from '../helpers/tools.js';

const FILES = [
  'pcapplusplus/ip4_fragments.pcap',
  'pcapplusplus/ip6_fragments.pcap',
  'zeek/ipv4/fragmented-1.pcap',
  'zeek/ipv4/fragmented-3.pcap',
  'zeek/ipv6-fragmented-dns.pcap',
];

/**
 * Frames and bytes per `src > dst`, as tshark decodes each frame with reassembly off; and the
 * fragments left out, whose first fragment (the one with the ports) the capture does not hold
 * before them: no flow can claim those.
 */
function framesByDirection(file: string): { frames: Map<string, { frames: number; bytes: number }>; orphans: number } {
  const fields = ['ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'frame.len', 'ip.id', 'ip.frag_offset', 'ipv6.fraghdr.ident', 'ipv6.fraghdr.offset'];
  const out = execFileSync(
    'tshark',
    ['-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-r', file, '-Y', 'ip || ipv6', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const frames = new Map<string, { frames: number; bytes: number }>();
  const firsts = new Set<string>();
  let orphans = 0;
  for (const line of out.trimEnd().split('\n')) {
    const [s4, d4, s6, d6, len, id4, off4, id6, off6] = line.split('\t').map((x) => x.split(',')[0]);
    // The outer header's addresses (tshark lists inner ones after a comma).
    const key = `${s4 || s6} > ${d4 || d6}`;
    const id = `${key} ${id4 || id6}`;
    const offset = Number(off4 || off6 || 0);
    if (offset === 0) firsts.add(id);
    else if (!firsts.has(id)) {
      orphans++;
      continue;
    }
    const e = frames.get(key) ?? { frames: 0, bytes: 0 };
    e.frames++;
    e.bytes += Number(len);
    frames.set(key, e);
  }
  return { frames, orphans };
}

describe.skipIf(!hasCommand('tshark'))('IP fragments are counted in their datagram\'s flow', () => {
  it.each(FILES.filter((f) => existsSync(path.join(pcapsDir, f))))('%s: every frame, as tshark lists them unreassembled', async (rel) => {
    const file = path.join(pcapsDir, rel);
    const { flows, errors } = await loadCaptures([file]);
    expect(errors).toEqual([]);
    const ours = new Map<string, { frames: number; bytes: number }>();
    const add = (key: string, frames: number, bytes: number) => {
      if (frames === 0) return;
      const e = ours.get(key) ?? { frames: 0, bytes: 0 };
      e.frames += frames;
      e.bytes += bytes;
      ours.set(key, e);
    };
    for (const f of flows) {
      add(`${f.src.ip} > ${f.dst.ip}`, f.fwd.packets, f.fwd.bytes);
      add(`${f.dst.ip} > ${f.src.ip}`, f.rev.packets, f.rev.bytes);
    }
    const { frames: theirs, orphans } = framesByDirection(file);
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(theirs));
    // The files hold fragmented datagrams: more frames than the first fragments alone.
    expect([...theirs.values()].reduce((n, e) => n + e.frames, 0)).toBeGreaterThan(flows.reduce((n, f) => n + f.samples.count, 0));
    // One response in the Zeek file lost its first fragment before the capture (frame 4).
    expect(orphans).toBe(rel === 'zeek/ipv6-fragmented-dns.pcap' ? 1 : 0);
  });
});
