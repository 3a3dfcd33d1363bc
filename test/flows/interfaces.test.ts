import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCaptures } from '../../src/flows/load-captures.js';
import { nameFromPath, parseIfaceNames, parseLinksDump } from '../../src/flows/interface-names.js';
import { pcapsDir as pcaps, repoRoot } from '../helpers/paths.js';

const lab = path.join(repoRoot, 'captures', '02-external-dnat');

describe('interface identity', () => {
  it('reads `ip -o link` and `ip -j link` dumps of the same host to the same names', () => {
    const text = parseLinksDump(readFileSync(path.join(lab, 'ip-link.txt'), 'utf8'));
    const json = parseLinksDump(readFileSync(path.join(lab, 'ip-link.json'), 'utf8'));
    expect([...text.entries()].sort()).toEqual([...json.entries()].sort());
    expect(text.get(1)).toBe('lo');
    expect(text.get(2)).toBe('docker0');
    // veth peers print as name@ifN: the @ part is not the name.
    expect([...text.values()].every((n) => !n.includes('@'))).toBe(true);
  });

  it('parses --iface-names and rejects malformed entries', () => {
    expect([...parseIfaceNames('1=lo,2=docker0, 3=eth0')]).toEqual([[1, 'lo'], [2, 'docker0'], [3, 'eth0']]);
    expect(() => parseIfaceNames('docker0')).toThrow(/INDEX=NAME/);
  });

  it('names a classic pcap after its file, or the name= given', async () => {
    expect(nameFromPath('/x/docker0.pcap')).toBe('docker0');
    expect(nameFromPath('/x/eth0.pcap.gz')).toBe('eth0');
    const file = path.join(pcaps, 'pcapplusplus', 'one_tcp_stream.pcap');
    const named = await loadCaptures([`eth9=${file}`]);
    expect(new Set(named.flows.map((f) => f.iface))).toEqual(new Set(['eth9']));
  });

  it('an -i any (SLL2) capture: the same packets on eth0, docker0 and the veth are three flows, no retransmissions', async () => {
    const names = parseLinksDump(readFileSync(path.join(lab, 'ip-link.txt'), 'utf8'));
    const { flows, errors } = await loadCaptures([path.join(lab, 'any.pcap')], { ifindexNames: names });
    expect(errors).toEqual([]);
    const tcp = flows.filter((f) => f.proto === 6 && f.dst.port === 5000);
    const ifaces = tcp.map((f) => f.iface).sort();
    expect(ifaces).toHaveLength(3);
    expect(ifaces).toContain('eth0');
    expect(ifaces).toContain('docker0');
    expect(ifaces.some((n) => n.startsWith('veth'))).toBe(true);
    for (const f of tcp) {
      expect(f.fwd.retransmissions + f.rev.retransmissions, f.iface).toBe(0);
      expect(f.state).toBe('closed-fin');
    }
    // DNAT keeps the ISNs and the payload: the three views agree.
    expect(new Set(tcp.map((f) => `${f.fwd.isn}/${f.rev.isn}`)).size).toBe(1);
    expect(new Set(tcp.map((f) => f.fwd.digest)).size).toBe(1);
    expect(new Set(tcp.map((f) => f.fwd.packets)).size).toBe(1);
  });

  it('SLL2 indexes without names show as if<N>', async () => {
    const { flows } = await loadCaptures([path.join(pcaps, 'pcapplusplus', 'sll2.pcap')]);
    expect(flows.length).toBeGreaterThan(0);
    for (const f of flows) expect(f.iface).toMatch(/^if\d+$/);
  });
});
