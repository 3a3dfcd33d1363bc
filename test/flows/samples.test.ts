/**
 * A flow's samples are what the correlator matches packets on (seq, ack, IP ID, TSval, payload):
 * the per-packet readers it uses must agree with the column arrays presenters use.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCaptures } from '../../src/flows/load-captures.js';
import { capturesDir } from '../helpers/paths.js';

const COLUMNS = ['tsUs', 'dir', 'flags', 'seq', 'ack', 'ipId', 'ttl', 'tsVal', 'tsEcr', 'payloadLen', 'payloadHash'] as const;

describe('flow samples', () => {
  it('per-packet readers equal the column arrays on every sample of a recorded scenario (web-sized flows included)', async () => {
    const { flows, errors } = await loadCaptures([path.join(capturesDir, '08-concurrent')]);
    expect(errors).toEqual([]);
    let checked = 0;
    for (const f of flows) {
      const s = f.samples;
      for (const c of COLUMNS) {
        const arr = s[c];
        expect(arr.length).toBe(s.count);
        const at = s[`${c}At`].bind(s);
        for (let i = 0; i < s.count; i++) {
          if (at(i) !== arr[i]) throw new Error(`${f.id} ${c}[${i}]: ${at(i)} vs ${arr[i]}`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it('a TCP flow\'s samples start with its handshake: the SYN at the ISN, the SYN-ACK acknowledging ISN + 1', async () => {
    const dir = path.join(capturesDir, '02-external-dnat');
    const { flows } = await loadCaptures([`eth0=${path.join(dir, 'eth0.pcap')}`]);
    const tcp = flows.find((f) => f.proto === 6 && f.samples.count >= 3);
    expect(tcp).toBeDefined();
    const s = tcp!.samples;
    // The SYN is sample 0: its seq is the flow's ISN and it carries no payload.
    expect(s.seqAt(0)).toBe(tcp!.fwd.isn);
    expect(s.payloadHashAt(0)).toBe(0);
    expect(s.flagsAt(0) & 0x12).toBe(0x02);
    // The SYN-ACK acknowledges ISN + 1.
    const synAck = [...Array(s.count).keys()].find((i) => (s.flagsAt(i) & 0x12) === 0x12);
    expect(synAck).toBeDefined();
    expect(s.ackAt(synAck!)).toBe(((tcp!.fwd.isn ?? 0) + 1) >>> 0);
  });
});
