/**
 * A proxied keep-alive connection captured after it opened (captures/22-late-capture-proxy,
 * recorded by captures/record-late-capture.sh): tcpdump (lo, docker0, the container's veth, -i
 * any) started between a client's first and second request on one HTTP/1.1 connection through
 * the userland proxy. Neither handshake is in
 * the capture, so no dial can be timed; the two connections are tied by the whole, identical
 * byte streams they carried after the capture began, each way, and their order. Expected
 * tuples come from tshark, not natflow.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { plainCorrelation } from '../../src/correlate/lazy-correlation.js';
import { capturesDir } from '../helpers/paths.js';
import { hasCommand, tsharkFields } from '../helpers/tools.js';
import { tempDir } from '../helpers/temp-dir.js';
import { captureForms } from '../helpers/capture-forms.js';

const dir = path.join(capturesDir, '22-late-capture-proxy');
const lo = path.join(dir, 'lo.pcap');
const docker0 = path.join(dir, 'docker0.pcap');

/** The client → server tuple of a capture's first packet, as tshark reads it. */
function firstTuple(file: string): string {
  const [src, sport, dst, dport] = tsharkFields(file, 'frame.number == 1', ['ip.src', 'tcp.srcport', 'ip.dst', 'tcp.dstport'])[0];
  return `${src}:${sport} → ${dst}:${dport}`;
}

describe.skipIf(!existsSync(lo) || !hasCommand('tshark'))('a proxied connection already open when the capture began (22)', () => {
  it('is paired as the userland proxy by its streams after the capture began, and says so', async () => {
    // Neither file holds a SYN: both connections were open before the capture.
    for (const f of [lo, docker0]) expect(tsharkFields(f, 'tcp.flags.syn == 1', ['frame.number'])).toEqual([]);
    const r = await analyzeCaptures([lo, docker0]);
    expect(r.analysis.unpaired).toEqual([]);
    expect(r.analysis.correlations).toHaveLength(1);
    const c = plainCorrelation(r.analysis.correlations[0]);
    expect(c.mechanism).toBe('userland-proxy');
    const legs = c.legs.map((id) => r.flowsById.get(id)!);
    expect(legs.map((f) => f.iface)).toEqual(['lo', 'docker0']);
    expect(legs.map((f) => `${f.src.ip}:${f.src.port} → ${f.dst.ip}:${f.dst.port}`)).toEqual([firstTuple(lo), firstTuple(docker0)]);
    expect(legs.every((f) => f.midStream)).toBe(true);
    // Less sure than a relay whose dial the capture shows (0.93), and why.
    expect(c.confidence).toBe(0.8);
    expect(c.notes).toContainEqual(expect.stringContaining('both connections were open before the capture began'));
    expect(c.evidence.map((e) => e.kind)).toEqual(expect.arrayContaining(['timing', 'payload', 'order']));
    expect(c.evidence.filter((e) => e.kind === 'payload').map((e) => e.detail)).toEqual([
      expect.stringMatching(/^client→server byte stream identical on lo and docker0/),
      expect.stringMatching(/^server→client byte stream identical on docker0 and lo/),
    ]);
    // No dial to time: the hop has no latency rather than a made-up one.
    expect(c.hops.map((h) => [h.mechanism, h.latency])).toEqual([['userland-proxy', null]]);
    const text = c.explanation.join(' ');
    expect(text).toContain(`The client ${legs[0].src.ip}:${legs[0].src.port} had opened a TCP connection to ${legs[0].dst.ip}:${legs[0].dst.port} before the capture began`);
    expect(text).toContain(`The container therefore saw the client as ${legs[1].src.ip}`);
  });

  it('the same from the container\'s veth too, from the -i any capture alone and from the directory', async () => {
    const veth = path.join(dir, 'veth2f22765.pcap');
    for (const [form, files, opts] of captureForms(dir, [lo, docker0, veth])) {
      const r = await analyzeCaptures(files, opts);
      expect(r.analysis.correlations, form).toHaveLength(1);
      const c = plainCorrelation(r.analysis.correlations[0]);
      expect([c.mechanism, c.confidence], form).toEqual(['userland-proxy', 0.8]);
      expect(c.legs.map((id) => r.flowsById.get(id)!.iface), form).toEqual(['lo', 'docker0', 'veth2f22765']);
      // The proxy's hop has no dial to time; the bridge hop is the same packets a moment later.
      expect(c.hops.map((h) => [h.mechanism, h.latency === null]), form).toEqual([['userland-proxy', true], ['bridge', false]]);
      expect(r.analysis.unpaired, form).toEqual([]);
    }
  });

  it('is not paired when one side missed a request the other carried (its streams differ)', async () => {
    // docker0 from its second request on: the first exchange is on lo only.
    const t = tsharkFields(docker0, 'tcp.len > 0 && tcp.dstport == 5000', ['frame.time_epoch'])[1][0];
    const late = path.join(tempDir('natflow-late-'), 'docker0.pcap');
    execFileSync('editcap', ['-A', t, docker0, late]);
    const r = await analyzeCaptures([lo, late]);
    expect(r.analysis.correlations).toEqual([]);
    expect(r.analysis.unpaired).toHaveLength(2);
    for (const id of r.analysis.unpaired) expect(r.explainUnpaired(r.flowsById.get(id)!).join(' ')).toContain('the capture began after this connection had opened');
  });
});
