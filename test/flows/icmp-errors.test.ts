import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
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

  it('a UDP scan answered by port unreachables links every error to its datagram, in time linear in the flows', async () => {
    // The recorded datagram + port unreachable, repeated with a new source port each time (in the
    // datagram and in the header the ICMP message quotes): 20,000 concurrent UDP flows from one
    // host, each with its error. The errors once made one ICMP flow (same hosts, type and code)
    // linked to the first datagram only, and linking searched every live flow per error.
    const bytes = readFileSync(unreachable);
    const records: Buffer[] = [];
    for (let off = 24; off < bytes.length; off += 16 + bytes.readUInt32LE(off + 8)) records.push(bytes.subarray(off, off + 16 + bytes.readUInt32LE(off + 8)));
    expect(records).toHaveLength(2);
    const [datagram, error] = records;
    const udpAt = (rec: Buffer, ipAt: number): number => ipAt + (rec[ipAt] & 0x0f) * 4;
    const sportAt = udpAt(datagram, 16 + 14);
    const quotedSportAt = udpAt(error, udpAt(error, 16 + 14) + 8);
    expect(datagram.readUInt16BE(sportAt)).toBe(40123);
    expect(error.readUInt16BE(quotedSportAt)).toBe(40123);
    const N = 20_000;
    const parts: Buffer[] = [bytes.subarray(0, 24)];
    for (let i = 0; i < N; i++) {
      for (const [rec, portAt, dt] of [[datagram, sportAt, 0], [error, quotedSportAt, 5]] as const) {
        const r = Buffer.from(rec);
        r.writeUInt32LE(1_700_000_000, 0);
        r.writeUInt32LE(i * 10 + dt, 4);
        r.writeUInt16BE(10_000 + i, portAt);
        parts.push(r);
      }
    }
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'natflow-scan-')), 'udp-scan.pcap');
    writeFileSync(file, Buffer.concat(parts));

    const before = process.cpuUsage();
    const { flows, errors } = await loadCaptures([file]);
    const used = process.cpuUsage(before);
    expect(errors).toEqual([]);
    const udp = flows.filter((f) => f.proto === 17);
    const icmp = flows.filter((f) => f.proto === 1);
    expect(udp).toHaveLength(N);
    expect(icmp).toHaveLength(N);
    const byId = new Map(flows.map((f) => [f.id, f]));
    for (const e of icmp) {
      const target = byId.get(e.icmp!.linkedFlowId!);
      expect(target?.src.port).toBe(e.icmp!.inner!.src.port);
      expect(target?.icmpErrorFlowIds).toEqual([e.id]);
    }
    // Linear: well under a second here; the quadratic search took tens of seconds.
    expect((used.user + used.system) / 1e6).toBeLessThan(5);
  });
});
