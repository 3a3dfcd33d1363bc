/**
 * Captures that kept only the first bytes of each packet (`tcpdump -s 96`, recorded by
 * `record.sh <scenario> --snaplen 96`): the userland proxy's two connections carry the same bytes,
 * but the proxy segments its side differently, so the bytes a snaplen keeps differ and no digest
 * can match. natflow pairs them by stream length (TCP sequence numbers), the first bytes both kept
 * and timing, and says that is what it compared. Lengths and cut counts are checked with tshark.
 */
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { parseCaptureOptions } from '../../src/cli/capture-options.js';
import { scenarios } from './truth.js';
import { hasCommand, tsharkFields } from '../helpers/tools.js';
import type { Flow } from '../../src/flows/flow.js';

const cut = scenarios().filter((s) => s.snaplen !== null);

/**
 * Bytes each client sent, by tshark, keyed `sport>dport`: the highest next sequence number of a
 * data segment, relative to the ISN. One tshark run per file.
 */
function tsharkClientBytes(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [sp, dp, nxt] of tsharkFields(file, 'tcp.len > 0', ['tcp.srcport', 'tcp.dstport', 'tcp.nxtseq'])) {
    const k = `${sp}>${dp}`;
    out.set(k, Math.max(out.get(k) ?? 0, Number(nxt) - 1));
  }
  return out;
}

const clientKey = (f: Flow): string => `${f.src.port}>${f.dst.port}`;

describe.skipIf(cut.length === 0)('captures cut short by a snaplen', () => {
  for (const s of cut) {
    it(`${s.name}: each capture's cut packets counted and the snaplen named, as tshark counts them`, async () => {
      const r = await analyzeCaptures([s.dir], parseCaptureOptions({}, [s.dir]));
      expect(r.errors).toEqual([]);
      const snaplen = s.snaplen!;
      for (const c of r.analysis.captures) {
        const rows = tsharkFields(c.file, 'frame.cap_len < frame.len', ['frame.number']);
        expect(c.packetsCut, c.file).toBe(rows.length);
        // A capture in which nothing was longer than the snaplen shows none.
        expect(c.snaplen, c.file).toBe(c.packetsCut > 0 ? snaplen : null);
      }
      const cutFiles = r.analysis.captures.filter((c) => c.packetsCut > 0);
      expect(cutFiles.map((c) => c.file)).toEqual(expect.arrayContaining([s.perInterface.docker0]));
      const note = r.analysis.inferences.find((i) => i.startsWith('the capture cut packets short'));
      expect(note).toBeDefined();
      for (const c of r.analysis.captures) {
        const named = `${c.file} ${c.packetsCut} of ${c.packets} packets to ${snaplen} bytes`;
        if (c.packetsCut > 0) expect(note).toContain(named);
        else expect(note).not.toContain(`${c.file} `);
      }
      // Where a capture point was recorded in several files cut at other lengths (Ethernet keeps
      // 6 bytes more than -i any), the leg is the copy that kept the most.
      const kept = (id: string): number => {
        const f = r.flowsById.get(id)!;
        return f.fwd.streamBytes + f.rev.streamBytes;
      };
      let moreKept = 0;
      for (const c of r.analysis.correlations) {
        for (const x of c.copies) {
          expect(kept(x.flow), `${c.id}: ${x.flow} copy of ${x.sameAs}`).toBeLessThanOrEqual(kept(x.sameAs));
          if (kept(x.flow) < kept(x.sameAs)) moreKept++;
        }
      }
      expect(moreKept).toBeGreaterThan(0);
      // A kernel-NAT hop over cut payload says how far "payload unchanged" was seen.
      for (const c of r.analysis.correlations.filter((x) => x.mechanism === 'dnat')) {
        const cutHop = c.hops.some((h) => h.fields.some((f) => f.field === 'payload' && f.verdict === 'preserved' && /captured$/.test(f.from)));
        const text = c.explanation.join(' ');
        if (cutHop) expect(text).toContain('unchanged (the payload as far as the capture kept it): it is the same packet');
        else expect(text).not.toContain('as far as the capture kept it');
      }
    });

    const proxied = s.conversations.some((c) => c.mechanism === 'userland-proxy' && c.legs.some((l) => l.interfaces.includes('lo')));
    // Only scenarios with a proxied conversation have proxy pairs to check (03 has none).
    if (proxied) it.skipIf(!hasCommand('tshark'))(`${s.name}: proxy pairs compared by length and kept bytes, never by a digest of the pieces`, async () => {
      const files = ['lo', 'docker0'].map((i) => s.perInterface[i]);
      // The client leg is lo's; 13's outside IPv6 client comes in on eth0.
      if (s.perInterface.eth0) files.push(s.perInterface.eth0);
      const r = await analyzeCaptures(files);
      const bytesOn = new Map(files.map((f, i) => [['lo', 'docker0', 'eth0'][i], tsharkClientBytes(f)]));
      const proxied = r.analysis.correlations.filter((c) => c.mechanism === 'userland-proxy');
      expect(proxied.length).toBe(s.conversations.filter((c) => c.mechanism === 'userland-proxy').length);
      for (const c of proxied) {
        const [client, upstream] = c.legs.map((id) => r.flowsById.get(id)!);
        expect(['lo', 'eth0']).toContain(client.iface);
        const payload = c.evidence.filter((e) => e.kind === 'payload');
        expect(payload.length).toBeGreaterThan(0);
        for (const e of payload) {
          expect(e.detail).toMatch(/the same length on .* the capture kept only part of it: (its first \d+ B, kept on both sides, identical|no byte of it kept on both sides to compare)\)$/);
          expect(e.detail).not.toContain('digest');
        }
        // The length named is what each connection's sequence numbers say it carried.
        // tshark reads no TCP header cut short of 20 bytes (13's IPv6 client legs at 68): the
        // proxy's IPv4 side on docker0 then names the length alone.
        const bytes = bytesOn.get('docker0')!.get(clientKey(upstream))!;
        expect(bytes).toBeGreaterThan(0);
        const clientBytes = bytesOn.get(client.iface)!.get(clientKey(client));
        if (clientBytes !== undefined || !/--snaplen68$/.test(s.name)) expect(clientBytes).toBe(bytes);
        expect(payload[0].detail).toContain(`(${bytes} B;`);
        expect(c.confidence).toBeLessThan(0.9);
        const field = c.hops[0].fields.find((f) => f.field === 'payload');
        expect(field?.verdict).toBe('preserved');
        expect(field?.from).toMatch(new RegExp(`^${bytes} B, \\d+ B captured$`));
        const step = c.explanation.find((t) => t.startsWith('The proxy then opened'))!;
        expect(step).toContain('as many bytes each way');
        expect(step).not.toContain('Only the payload bytes are the same');
        // The request line survived the cut far enough to name the path the client asked for.
        // Where the request line survived the cut (the truth found its marker in it), the path the
        // client asked for is named.
        const truth = s.conversations.find((t) => t.legs.some((l) => l.tuple.sport === client.src.port && l.interfaces.includes(client.iface)));
        expect(truth).toBeDefined();
        if (truth!.marker !== null) expect(client.app?.http?.path).toContain(truth!.marker);
      }
    });
  }
});
