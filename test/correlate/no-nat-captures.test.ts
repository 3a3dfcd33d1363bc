/**
 * The shared corpus (../shared/pcaps: tcpdump's, libpcap's, Wireshark's, PcapPlusPlus's test
 * captures…) holds no Docker host and no NAT: natflow must claim no rewrite and no proxy in any of
 * them. Each case below once did, with an explanation that was wrong:
 * - wireshark_samples-test.pcapng, sll.pcap: mDNS sent to 224.0.0.251 and again to ff02::fb with
 *   the same bytes was "relayed by docker-proxy" to "the container at [ff02::fb]";
 * - pcapng-example.pcapng: a connection from 198.202.88.52 (TTL 55: routed here) was "the proxy's
 *   upstream, refused";
 * - ipv6-routing-header.pcap: one host's ping, repeated a second later to the next address of a
 *   routing header with a higher hop limit, was "the same packet, DNATed";
 * - heapoverflow-tcp_print.pcap: a crafted packet from 48.48.48.48:12336 to itself was "a
 *   container reaching itself through hairpin NAT";
 * - many_interfaces-1.pcapng: a broadcast seen on a Mac's lo0 and en0 was "forwarded by the
 *   Linux bridge to the container's port".
 */
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { havePcaps } from '../helpers/paths.js';
import { manifest } from '../helpers/pcap-manifest.js';

const readable = havePcaps ? manifest().filter((r) => /\.(pcap|pcapng|cap)$/.test(r.path)) : [];

describe.skipIf(!havePcaps)('third-party captures without NAT', () => {
  it('no capture of the corpus gets a rewrite, a proxy or a hairpin', async () => {
    const claims: string[] = [];
    for (const r of readable) {
      const { analysis } = await analyzeCaptures([r.abs]);
      for (const c of analysis.correlations) {
        if (c.mechanism !== 'bridge' && c.mechanism !== 'none') claims.push(`${r.path}: ${c.id} ${c.mechanism}`);
        if (c.notes.some((n) => /hairpin|nat OUTPUT/i.test(n))) claims.push(`${r.path}: ${c.id} ${c.notes.join('; ')}`);
      }
    }
    expect(claims).toEqual([]);
    // The corpus has more than a handful of captures: the loop above did look at them.
    expect(readable.length).toBeGreaterThan(80);
  });

  it('copies of one packet on a host that is no bridge are not told as the Linux bridge', async () => {
    const r = readable.find((x) => x.path.endsWith('many_interfaces-1.pcapng'))!;
    const { analysis } = await analyzeCaptures([r.abs]);
    const bridged = analysis.correlations.filter((c) => c.mechanism === 'bridge');
    expect(bridged.length).toBeGreaterThan(0);
    for (const c of bridged) {
      const text = c.explanation.join(' ');
      expect(text).not.toMatch(/Linux bridge|container/);
      expect(text).toContain('Nothing rewrote it');
    }
    const broadcast = bridged.find((c) => c.explanation[0].includes('255.255.255.255'))!;
    expect(broadcast.explanation[0]).toMatch(/^Background noise, not a conversation: broadcast UDP/);
    expect(analysis.summary).toContain('1 multicast or broadcast packet seen at several capture points, background noise, not a conversation');
  });
});
