/**
 * 12-hairpin-promisc: the hairpin of 05b (userland-proxy=false) recorded with docker0 captured
 * without -p, as many people run tcpdump. The promiscuous bridge hands the hairpin frames back to
 * the host, which routes them to the container a second time under the pre-MASQUERADE tuple with
 * TTL one lower (docker-nat-facts §3). Those copies must not become a leg: as one, they read as a
 * rewrite back to the container's own address, and the explanation then said the container saw
 * the client as itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures, type AnalyzeResult } from '../../src/correlate/analyze.js';
import { parseLinksDump } from '../../src/flows/interface-names.js';
import { parseCaptureOptions } from '../../src/cli/capture-options.js';
import { readCapture } from '../../src/read/index.js';
import { decodeRecord } from '../../src/decode/index.js';
import { Packet } from '../../src/decode/packet.js';
import { scenarios } from './truth.js';

const s = scenarios().find((x) => x.name === '12-hairpin-promisc');

describe.skipIf(s === undefined)('packets routed a second time by a promiscuous docker0 (12)', () => {
  const sc = s!;
  const conv = sc?.conversations.find((c) => c.mechanism === 'dnat+snat');
  const modes: [string, () => Promise<AnalyzeResult>][] = [
    ['per-interface files', () => analyzeCaptures(Object.values(sc.perInterface))],
    ['-i any with --links', () => analyzeCaptures([sc.any!], { ifindexNames: parseLinksDump(readFileSync(join(sc.dir, 'ip-link.txt'), 'utf8')) })],
    ['the whole directory', () => analyzeCaptures([sc.dir], parseCaptureOptions({}, [sc.dir]))],
  ];
  it.each(modes)('%s: three legs as in truth.json, the second delivery a copy, the client the container saw is the MASQUERADE address', async (_mode, run) => {
    const r = await run();
    const egress = conv!.legs.find((l) => l.role === 'egress')!.tuple;
    const ingress = conv!.legs.find((l) => l.role === 'ingress')!.tuple;
    const cs = r.analysis.correlations.filter((c) => c.mechanism !== 'bridge');
    expect(cs).toHaveLength(1);
    const c = cs[0];
    expect(c.mechanism).toBe('dnat+snat');
    // The legs: the client's packets, the copy between the rewrites, the MASQUERADEd delivery.
    const legs = c.legs.map((id) => r.flowsById.get(id)!);
    expect(legs.map((f) => `${f.src.ip}:${f.src.port}`)).toEqual([`${ingress.src}:${ingress.sport}`, `${ingress.src}:${ingress.sport}`, `${egress.src}:${egress.sport}`]);
    // No hop takes the source back to the container's own address.
    for (const h of c.hops) expect(h.rewrite, h.rewrite).not.toMatch(new RegExp(`src ${egress.src}:\\d+ → ${ingress.src}`));
    // The second delivery: on the container's veth, the pre-MASQUERADE tuple, TTL one lower; kept as a copy, not unpaired.
    const again = c.copies.map((x) => r.flowsById.get(x.flow)!).filter((f) => f.iface === legs[2].iface && f.src.ip === ingress.src && f.dst.ip === ingress.src);
    expect(again.length).toBeGreaterThan(0);
    for (const f of again) {
      expect(r.analysis.unpaired).not.toContain(f.id);
      expect(f.fwd.firstTtl).toBe(legs[1].fwd.firstTtl! - 1);
    }
    expect(c.notes.some((n) => n.startsWith('the same packets delivered a second time'))).toBe(true);
    const text = c.explanation.join(' ');
    expect(text).toContain(`The container saw the client as ${egress.src}, not ${ingress.src}`);
    expect(text).toMatch(/reached the container a second time on veth\w+, as 172\.17\.0\.2:\d+ → 172\.17\.0\.2:5000 with TTL 63/);
    expect(text).toContain('promiscuous mode while it was captured (tcpdump without -p)');
    expect(text).not.toMatch(new RegExp(`saw the client as ${ingress.src.replace(/\./g, '\\.')}\\b`));
  });

  it('docker0 shows each packet three times: one counted, two copies, no retransmission; tshark-like frame total kept', async () => {
    const docker0 = sc.perInterface.docker0;
    const r = await analyzeCaptures([docker0]);
    const f = r.flows.find((x) => x.proto === 6)!;
    // Frames of this connection in the file, read and decoded independently of the flow table.
    const pkt = new Packet();
    let frames = 0;
    await readCapture(docker0, (rec) => {
      decodeRecord(pkt, rec);
      if (pkt.ipProto === 6 && (pkt.sport === f.src.port || pkt.dport === f.src.port)) frames++;
    });
    expect(frames).toBeGreaterThan(0);
    expect(f.fwd.packets + f.rev.packets + f.fwd.copies + f.rev.copies).toBe(frames);
    expect(f.fwd.copies + f.rev.copies).toBe(2 * (f.fwd.packets + f.rev.packets));
    expect(f.fwd.retransmissions + f.rev.retransmissions).toBe(0);
    // Each packet once, as the container's veth has the MASQUERADEd delivery.
    const egress = conv!.legs.find((l) => l.role === 'egress')!;
    const veth = (await analyzeCaptures([sc.perInterface[egress.interfaces[0]]])).flows;
    const delivered = veth.find((x) => x.proto === 6 && x.src.ip === egress.tuple.src)!;
    expect(f.fwd.packets).toBe(delivered.fwd.packets);
    expect(f.rev.packets).toBe(delivered.rev.packets);
  });

  it('05b, recorded with -p, has no second delivery', async () => {
    const b = scenarios().find((x) => x.name === '05b-hairpin-noproxy');
    if (!b) return;
    const r = await analyzeCaptures(Object.values(b.perInterface));
    for (const c of r.analysis.correlations) {
      expect(c.notes.some((n) => n.startsWith('the same packets delivered a second time'))).toBe(false);
      expect(c.explanation.join(' ')).not.toContain('a second time');
    }
  });
});

/**
 * A hairpin captured only on docker0 (the pcapng of lo, docker0 and eth0): the one copy shows the
 * container as both ends, taken between DNAT and the hairpin MASQUERADE. The explanation used to
 * read it as the packet the container received, and said the container saw itself as the client.
 */
describe('a hairpin seen only between its rewrites (05b and 12, pcapng without the veth)', () => {
  for (const name of ['05b-hairpin-noproxy', '12-hairpin-promisc']) {
    const sc = scenarios().find((x) => x.name === name);
    it.skipIf(sc === undefined || sc.pcapng === null)(`${name}: the container saw the bridge's address, derived, not itself`, async () => {
      const r = await analyzeCaptures([sc!.pcapng!]);
      const conv = sc!.conversations.find((c) => c.mechanism === 'dnat+snat')!;
      const egress = conv.legs.find((l) => l.role === 'egress')!.tuple;
      const middle = conv.legs.find((l) => l.interfaces.includes('docker0'))!.tuple;
      const c = r.analysis.correlations.find((x) => x.mechanism === 'dnat+snat')!;
      expect(c.legs.map((id) => r.flowsById.get(id)!.iface)).toEqual(['docker0']);
      const text = c.explanation.join(' ');
      expect(text).toContain(`Only the copy between the two rewrites was captured: on docker0, as ${middle.src}:${middle.sport} → ${middle.dst}:${middle.dport}`);
      // What the container saw is on no capture here: told as derived, and it is what truth.json records.
      expect(text).toContain('saw the client as the bridge\'s gateway address');
      expect(text).toContain(`${egress.src} on Docker's default bridge; derived`);
      expect(text).not.toMatch(/saw the client as 172\.17\.0\.2\b/);
      expect(text).not.toMatch(/reached the container on docker0/);
      expect(text).not.toMatch(/MASQUERADE rewrote the source to 172\.17\.0\.2/);
    });
  }
});

