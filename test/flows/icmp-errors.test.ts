import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { loadCaptures } from '../../src/flows/load-captures.js';
import { pcapsDir as pcaps, repoRoot } from '../helpers/paths.js';

// udp-port-unreachable-lo.pcap: recorded with `tcpdump -p -i lo` inside a throwaway network
// namespace while a UDP socket bound to 127.0.0.1:40123 sent "natflow-probe" to the closed
// port 127.0.0.1:9; the kernel answered with ICMP port unreachable quoting that datagram.
const unreachable = path.join(repoRoot, 'test/flows/fixtures/udp-port-unreachable-lo.pcap');

describe('ICMP errors are linked to the flow of their quoted header', () => {
  it('port unreachable points at the UDP flow it answers, and the UDP flow lists it', async () => {
    const { flows } = await loadCaptures([unreachable]);
    const udp = flows.find((f) => f.proto === 17);
    const icmp = flows.find((f) => f.proto === 1);
    expect(udp).toBeDefined();
    expect(icmp).toBeDefined();
    expect(`${udp!.src.ip}:${udp!.src.port} > ${udp!.dst.ip}:${udp!.dst.port}`).toBe('127.0.0.1:40123 > 127.0.0.1:9');
    expect(icmp!.icmp).toMatchObject({ type: 3, code: 3, echoId: null });
    expect(icmp!.icmp!.inner).toEqual({ proto: 17, src: { ip: '127.0.0.1', port: 40123 }, dst: { ip: '127.0.0.1', port: 9 } });
    expect(icmp!.icmp!.linkedFlowId).toBe(udp!.id);
    expect(udp!.icmpErrorFlowIds).toEqual([icmp!.id]);
  });

  it('the quoted header of a time-exceeded message matches tshark (community-id icmp.pcap)', async () => {
    const file = path.join(pcaps, 'community-id/pcaps/icmp.pcap');
    // tshark lists outer,inner for repeated fields: ip.src/ip.dst and the quoted UDP ports.
    const row = readFileSync(`${file}.fields.tsv`, 'utf8')
      .split('\n')
      .map((l) => l.split('\t'))
      .find((c) => c[21] === '11');
    expect(row).toBeDefined();
    const [, innerSrc] = row![6].split(',');
    const [, innerDst] = row![7].split(',');
    const { flows } = await loadCaptures([file]);
    const err = flows.find((f) => f.icmp?.type === 11);
    expect(err?.icmp?.inner).toEqual({
      proto: 17,
      src: { ip: innerSrc, port: Number(row![19]) },
      dst: { ip: innerDst, port: Number(row![20]) },
    });
    // The probe itself is not in this capture: nothing to link, and natflow says so with null.
    expect(err?.icmp?.linkedFlowId).toBeNull();
  });
});
