/**
 * TCP headers cut by a snaplen. tcpdump's historic default of 68 bytes keeps 14 bytes of TCP behind
 * Ethernet and IPv6: ports, sequence and acknowledgment numbers, header length and flags, so the
 * segment's payload length still follows from the IP header. tshark and tcpdump dissect no TCP
 * header under 20 bytes, so the oracle is tshark on the whole recording: the lab captures are cut
 * with editcap (frame numbers stay), and every field the kept bytes hold must decode to what
 * tshark reads in the whole packet, and every field they do not hold must be absent.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readCapture } from '../../src/read/index.js';
import { Packet, decodePacket } from '../../src/decode/index.js';
import { haveScenario } from '../helpers/scenario-dir.js';
import { capturesDir } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';
import { hasCommand, tsharkFields } from '../helpers/tools.js';

const FILES = ['13-ipv6-proxy/lo.pcap', '13-ipv6-proxy/eth0.pcap', '13-ipv6-proxy/any.pcap', '03-egress-masquerade/docker0.pcap', '03-egress-masquerade/any.pcap'];
const SNAPLENS = [40, 44, 48, 54, 60, 62, 68, 74, 96];
const usable = hasCommand('tshark') && hasCommand('editcap') && ['13-ipv6-proxy', '03-egress-masquerade'].every(haveScenario);

interface Whole {
  tcpAt: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  hdrLen: number;
  len: number;
}

describe.skipIf(!usable)('TCP headers cut by a snaplen, against tshark on the whole packets', () => {
  const dir = usable ? tempDir('cut-headers') : '';
  for (const rel of FILES) {
    it(`${rel} cut to ${SNAPLENS.join(', ')} bytes`, async () => {
      const src = join(capturesDir, rel);
      const whole = new Map<number, Whole>();
      for (const [n, flen, sp, dp, seq, ack, flags, hlen, len] of tsharkFields(src, 'tcp', ['frame.number', 'frame.len', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.hdr_len', 'tcp.len'])) {
        // The lab's frames carry no trailer: the TCP segment ends the frame.
        whole.set(Number(n), { tcpAt: Number(flen) - Number(hlen) - Number(len), sport: Number(sp), dport: Number(dp), seq: Number(seq), ack: Number(ack), flags: Number(flags), hdrLen: Number(hlen), len: Number(len) });
      }
      expect(whole.size).toBeGreaterThan(0);
      let partial = 0;
      for (const snaplen of SNAPLENS) {
        const cut = join(dir, `${rel.replace('/', '-')}-${snaplen}.pcap`);
        execFileSync('editcap', ['-s', String(snaplen), src, cut]);
        const pkt = new Packet();
        let n = 0;
        const bad: string[] = [];
        await readCapture(cut, (rec) => {
          n++;
          const w = whole.get(n);
          if (w === undefined) return;
          decodePacket(pkt, rec.data, rec.linktype, rec.len);
          const kept = rec.caplen - w.tcpAt;
          if (kept <= 0) return;
          if (kept > 0 && kept < 20) partial++;
          const want = {
            sport: kept >= 4 ? w.sport : -1,
            dport: kept >= 4 ? w.dport : -1,
            seq: kept >= 8 ? w.seq : -1,
            ack: kept >= 12 ? w.ack : -1,
            flags: kept >= 14 ? w.flags : -1,
            len: kept >= 14 ? w.len : -1,
          };
          const got = { sport: pkt.sport, dport: pkt.dport, seq: pkt.seq, ack: pkt.ack, flags: pkt.tcpFlags, len: pkt.payloadWireLen };
          if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`frame ${n} (${kept} TCP bytes kept): got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
        });
        expect(bad.slice(0, 5), `${rel} -s ${snaplen}`).toEqual([]);
      }
      // Not vacuous: some of these cuts fall inside a TCP header.
      expect(partial).toBeGreaterThan(0);
    });
  }
});
