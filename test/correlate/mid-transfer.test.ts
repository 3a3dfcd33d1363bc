/**
 * Transfers through the userland proxy that were under way when the capture began
 * (captures/23-mid-transfer-proxy, recorded by captures/record-mid-transfer.sh): a download from
 * the container and an upload to it, each relayed by a docker-proxy stand-in that held some of
 * the stream in its buffers when tcpdump started. The two sides of each stream then start at
 * different bytes and end with the same ones; the side nearer the receiver saw more. Stream
 * contents, lengths and tuples come from tshark (`-z follow,tcp,raw`), not from natflow.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { plainCorrelation } from '../../src/correlate/lazy-correlation.js';
import type { Correlation } from '../../src/correlate/model.js';
import { capturesDir } from '../helpers/paths.js';
import { hasCommand, tsharkFields } from '../helpers/tools.js';
import { tempDir } from '../helpers/temp-dir.js';
import { captureForms } from '../helpers/capture-forms.js';

const dir = path.join(capturesDir, '23-mid-transfer-proxy');
const lo = path.join(dir, 'lo.pcap');
const docker0 = path.join(dir, 'docker0.pcap');
const veth = path.join(dir, 'veth5b1c0de.pcap');

interface TcpStream {
  client: string;
  server: string;
  /** Reassembled bytes each way, as tshark follows them. */
  toServer: Buffer;
  toClient: Buffer;
}

/** The TCP connection to `port` in `file`, followed by tshark; the client is the other end. */
function followed(file: string, port: number): TcpStream {
  const index = tsharkFields(file, `tcp.port == ${port}`, ['tcp.stream'])[0][0];
  const out = execFileSync('tshark', ['-n', '-r', file, '-q', '-z', `follow,tcp,raw,${index}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const nodes = [...out.matchAll(/^Node [01]: (.+)$/gm)].map((m) => m[1]);
  // Lines from node 0 start at the margin, node 1's are indented by a tab.
  const data: Buffer[][] = [[], []];
  for (const line of out.split('\n')) {
    const m = /^(\t?)([0-9a-f]+)$/.exec(line);
    if (!m) continue;
    const bytes = Buffer.from(m[2], 'hex');
    // tshark's placeholder for a hole (a keep-alive's sequence number, one below the next
    // byte, opens one at the start of a stream joined mid-way): not the stream's bytes.
    if (!/^\[\d+ bytes? missing in capture file\]\0$/.test(bytes.toString('latin1'))) data[m[1] === '' ? 0 : 1].push(bytes);
  }
  const s = nodes.findIndex((n) => n.endsWith(`:${port}`));
  return { server: nodes[s], client: nodes[1 - s], toClient: Buffer.concat(data[s]), toServer: Buffer.concat(data[1 - s]) };
}

function tuple(c: Correlation, flows: Map<string, { src: { ip: string; port: number }; dst: { ip: string; port: number } }>, leg: number): string {
  const f = flows.get(c.legs[leg])!;
  return `${f.src.ip}:${f.src.port} → ${f.dst.ip}:${f.dst.port}`;
}

describe.skipIf(!existsSync(lo) || !hasCommand('tshark'))('transfers under way through the proxy when the capture began (23)', () => {
  it('the fixture: neither connection opens in it, and each stream ends alike on both sides, the receiver\'s side longer', () => {
    for (const f of [lo, docker0]) expect(tsharkFields(f, 'tcp.flags.syn == 1', ['frame.number'])).toEqual([]);
    // Some connection's first packet here is the server's (from its port 5000 / 5001): natflow
    // must take the client from the ports, not from who spoke first (checked below).
    const first = [lo, docker0].flatMap((f) => [5000, 5001].map((p) => tsharkFields(f, `tcp.port == ${p}`, ['tcp.srcport'])[0][0]));
    expect(first.some((p) => p === '5000' || p === '5001')).toBe(true);
    const down = [followed(lo, 5000), followed(docker0, 5000)];
    const up = [followed(lo, 5001), followed(docker0, 5001)];
    // Download: lo (the client's side) saw more of the container's reply.
    expect(down[0].toClient.length).toBeGreaterThan(down[1].toClient.length);
    expect(down[0].toClient.subarray(-1024).equals(down[1].toClient.subarray(-1024))).toBe(true);
    // Upload: docker0 (the container's side) saw more of the client's data.
    expect(up[1].toServer.length).toBeGreaterThan(up[0].toServer.length);
    expect(up[1].toServer.subarray(-1024).equals(up[0].toServer.subarray(-1024))).toBe(true);
  });

  it('pairs each as the userland proxy by the streams\' common ends, and says how many bytes the proxy held', async () => {
    const r = await analyzeCaptures([lo, docker0]);
    expect(r.analysis.unpaired).toEqual([]);
    const cs = r.analysis.correlations.map((c) => plainCorrelation(c));
    expect(cs).toHaveLength(2);
    const byPort = new Map(cs.map((c) => [r.flowsById.get(c.legs[0])!.dst.port, c]));

    const [dLo, dDocker0] = [followed(lo, 5000), followed(docker0, 5000)];
    const download = byPort.get(5000)!;
    expect(download.mechanism).toBe('userland-proxy');
    expect(download.legs.map((id) => r.flowsById.get(id)!.iface)).toEqual(['lo', 'docker0']);
    // The client is the connection's ephemeral end, though its first packet here is the server's.
    expect([tuple(download, r.flowsById, 0), tuple(download, r.flowsById, 1)]).toEqual([`${dLo.client} → ${dLo.server}`, `${dDocker0.client} → ${dDocker0.server}`]);
    const held = dLo.toClient.length - dDocker0.toClient.length;
    // One way compared (nothing went client → server in the capture): less sure than both ways.
    expect(download.confidence).toBe(0.75);
    expect(download.evidence.filter((e) => e.kind === 'payload').map((e) => e.detail)).toEqual([
      `server→client byte stream ends alike on docker0 and lo (its last 1024 B, identical); lo saw ${held} B more of it (${dLo.toClient.length} B against ${dDocker0.toClient.length} B): bytes the proxy held when the capture began`,
    ]);
    expect(download.evidence.find((e) => e.kind === 'timing')!.detail).toMatch(/in the middle of a transfer.*server→client stream's last byte reached lo .* after it crossed docker0/);
    // No dial to time: no latency rather than a made-up one; the payload was carried over.
    expect(download.hops.map((h) => [h.mechanism, h.latency])).toEqual([['userland-proxy', null]]);
    expect(download.hops[0].fields.find((f) => f.field === 'payload')?.verdict).toBe('preserved');
    const text = download.explanation.join(' ');
    expect(text).toContain('before the capture began (its handshake is not in it)');
    expect(text).toContain(`the proxy held ${held} bytes of the container's reply that had crossed docker0 before the capture and crossed lo after it, so lo's copy of that stream starts ${held} bytes earlier in it. Both copies end with the same bytes.`);
    expect(text).toContain(`The container therefore saw the client as ${dDocker0.client.split(':')[0]}`);

    const [uLo, uDocker0] = [followed(lo, 5001), followed(docker0, 5001)];
    const upload = byPort.get(5001)!;
    expect([tuple(upload, r.flowsById, 0), tuple(upload, r.flowsById, 1)]).toEqual([`${uLo.client} → ${uLo.server}`, `${uDocker0.client} → ${uDocker0.server}`]);
    const sent = uDocker0.toServer.length - uLo.toServer.length;
    // The sink's answer came whole on both sides after the capture began: both ways compared.
    expect(uLo.toClient.equals(uDocker0.toClient)).toBe(true);
    expect(upload.confidence).toBe(0.8);
    expect(upload.evidence.filter((e) => e.kind === 'payload').map((e) => e.detail)).toEqual([
      `client→server byte stream ends alike on lo and docker0 (its last 1024 B, identical); docker0 saw ${sent} B more of it (${uDocker0.toServer.length} B against ${uLo.toServer.length} B): bytes the proxy held when the capture began`,
      `server→client byte stream as long on docker0 as on lo after the capture began (${uLo.toClient.length} B), every byte identical`,
    ]);
    expect(upload.explanation.join(' ')).toContain(`the proxy held ${sent} bytes of the client's data that had crossed lo before the capture and crossed docker0 after it`);
  });

  it('the same from per-interface files with the container\'s veth, from the -i any capture alone and from the directory', async () => {
    for (const [form, files, opts] of captureForms(dir, [lo, docker0, veth])) {
      const r = await analyzeCaptures(files, opts);
      const cs = r.analysis.correlations.map((c) => plainCorrelation(c));
      expect(cs.map((c) => [r.flowsById.get(c.legs[0])!.dst.port, c.mechanism, c.confidence]).sort(), form).toEqual([
        [5000, 'userland-proxy', 0.75],
        [5001, 'userland-proxy', 0.8],
      ]);
      for (const c of cs) {
        expect(c.legs.map((id) => r.flowsById.get(id)!.iface), form).toEqual(['lo', 'docker0', 'veth5b1c0de']);
        expect(c.hops.map((h) => h.mechanism), form).toEqual(['userland-proxy', 'bridge']);
      }
      expect(r.analysis.unpaired, form).toEqual([]);
    }
  });

  it('is paired by the stretch both copies hold when the capture also stopped before the transfers ended', async () => {
    // Both captures stopped at one moment, with each transfer about half done.
    const times = tsharkFields(lo, 'tcp.len > 0', ['frame.time_epoch']).map((row) => row[0]);
    const stop = times[Math.floor(times.length / 2)];
    const tmp = tempDir('natflow-midxfer-');
    const [loCut, docker0Cut] = [path.join(tmp, 'lo.pcap'), path.join(tmp, 'docker0.pcap')];
    execFileSync('editcap', ['-B', stop, lo, loCut]);
    execFileSync('editcap', ['-B', stop, docker0, docker0Cut]);
    // Neither transfer ended in the cut captures: the sink's answer is not in them.
    expect(tsharkFields(loCut, 'tcp.srcport == 5001 && tcp.len > 0', ['frame.number'])).toEqual([]);
    // How far apart each stream's copies start, from the whole captures (where both ended alike).
    const dHeld = followed(lo, 5000).toClient.length - followed(docker0, 5000).toClient.length;
    const uHeld = followed(docker0, 5001).toServer.length - followed(lo, 5001).toServer.length;
    const r = await analyzeCaptures([loCut, docker0Cut]);
    expect(r.analysis.unpaired).toEqual([]);
    const byPort = new Map(r.analysis.correlations.map((c) => plainCorrelation(c)).map((c) => [r.flowsById.get(c.legs[0])!.dst.port, c]));
    for (const [port, dir, held] of [[5000, 'server→client', dHeld], [5001, 'client→server', uHeld]] as const) {
      const c = byPort.get(port)!;
      expect([c.mechanism, c.confidence], String(port)).toEqual(['userland-proxy', 0.75]);
      const payload = c.evidence.filter((e) => e.kind === 'payload');
      expect(payload, String(port)).toHaveLength(1);
      expect(payload[0].detail).toMatch(new RegExp(`^${dir} byte stream: \\d+ content-defined anchors identical on .*, at one offset; .*'s copy starts ${held} B earlier in the stream: bytes the proxy held when the capture began; the capture stopped before the stream ended`));
      expect(payload[0].offset).toBe(held);
      expect(payload[0].count).toBeGreaterThanOrEqual(3);
      expect(c.explanation.join(' ')).toContain(`starts ${held} bytes earlier in it. The capture stopped before the transfer ended.`);
    }
  });

  it('is not paired when the two copies hold no stretch of the stream in common', async () => {
    // lo only up to its first segment of the download: bytes the proxy held when the capture
    // began, which docker0 had carried before it. No byte is on both.
    const times = tsharkFields(lo, 'tcp.srcport == 5000 && tcp.len > 0', ['frame.time_epoch']).map((row) => row[0]);
    const early = path.join(tempDir('natflow-midxfer-'), 'lo.pcap');
    execFileSync('editcap', ['-B', times[1], lo, early]);
    expect(followed(early, 5000).toClient.length).toBeLessThan(followed(lo, 5000).toClient.length - followed(docker0, 5000).toClient.length);
    const r = await analyzeCaptures([early, docker0]);
    const unpaired = r.analysis.unpaired.map((id) => r.flowsById.get(id)!).filter((f) => f.dst.port === 5000);
    expect(unpaired.map((f) => f.iface).sort()).toEqual(['docker0', 'lo']);
    for (const f of unpaired) expect(r.explainUnpaired(f).join(' ')).toContain('the same stretch of a transfer, found at one offset in both');
  });
});

/**
 * captures/16-bulk-transfer (a 128 KiB download through DNAT from outside, then one through the
 * proxy from the host), each capture file cut by editcap to begin in the middle of one of them:
 * the same bytes as a capture started then, and tshark still tells which packets they are.
 */
const bulk = path.join(capturesDir, '16-bulk-transfer');

describe.skipIf(!existsSync(path.join(bulk, 'eth0.pcap')) || !hasCommand('tshark') || !hasCommand('editcap'))('16\'s downloads with the capture begun in their middle', () => {
  /** Every interface file of 16, cut to begin at the `k`-th server data segment of the connection to `clientPort` on docker0. */
  function cutAt(clientPort: number, k: number): string {
    const t = tsharkFields(path.join(bulk, 'docker0.pcap'), `tcp.dstport == ${clientPort} && tcp.len > 0`, ['frame.time_epoch'])[k][0];
    const dir = tempDir('natflow-16cut-');
    for (const f of ['eth0', 'docker0', 'veth2f22765', 'lo']) execFileSync('editcap', ['-A', t, path.join(bulk, `${f}.pcap`), path.join(dir, `${f}.pcap`)]);
    return dir;
  }
  const truth = JSON.parse(readFileSync(path.join(bulk, 'truth.json'), 'utf8')) as { conversations: { mechanism: string; legs: { interfaces: string[]; tuple: { src: string; sport: number; dst: string; dport: number } }[] }[] };
  const leg = (mechanism: string, iface: string): { src: string; sport: number; dst: string; dport: number } =>
    truth.conversations.find((c) => c.mechanism === mechanism)!.legs.find((l) => l.interfaces.includes(iface))!.tuple;

  it('the DNAT download: the same packets on eth0 and docker0 pair it, with no ISN to go by', async () => {
    const outside = leg('dnat', 'eth0');
    const dir = cutAt(outside.sport, 3);
    const files = ['eth0', 'docker0', 'veth2f22765'].map((f) => path.join(dir, `${f}.pcap`));
    // No handshake of it in the cut files, and eth0's first packet of it is the server's.
    expect(tsharkFields(files[0], `tcp.port == ${outside.sport} && tcp.flags.syn == 1`, ['frame.number'])).toEqual([]);
    expect(tsharkFields(files[0], `tcp.port == ${outside.sport}`, ['tcp.srcport'])[0]).toEqual([String(outside.dport)]);
    const r = await analyzeCaptures(files);
    const c = r.analysis.correlations.map((x) => plainCorrelation(x)).find((x) => x.mechanism === 'dnat')!;
    expect(c.legs.map((id) => r.flowsById.get(id)!.iface)).toEqual(['eth0', 'docker0', 'veth2f22765']);
    expect(tuple(c, r.flowsById, 0)).toBe(`${outside.src}:${outside.sport} → ${outside.dst}:${outside.dport}`);
    const inside = leg('dnat', 'docker0');
    expect(tuple(c, r.flowsById, 1)).toBe(`${inside.src}:${inside.sport} → ${inside.dst}:${inside.dport}`);
    expect(c.evidence.some((e) => e.kind === 'isn')).toBe(false);
  });

  it('the proxied download: its two connections pair as the userland proxy by their streams\' common end', async () => {
    const upstream = leg('userland-proxy', 'docker0');
    const client = leg('userland-proxy', 'lo');
    const dir = cutAt(upstream.sport, 3);
    const r = await analyzeCaptures(['lo', 'docker0', 'veth2f22765'].map((f) => path.join(dir, `${f}.pcap`)));
    const c = r.analysis.correlations.map((x) => plainCorrelation(x)).find((x) => x.mechanism === 'userland-proxy')!;
    expect(c.legs.map((id) => r.flowsById.get(id)!.iface)).toEqual(['lo', 'docker0', 'veth2f22765']);
    expect(tuple(c, r.flowsById, 0)).toBe(`${client.src}:${client.sport} → ${client.dst}:${client.dport}`);
    expect(tuple(c, r.flowsById, 1)).toBe(`${upstream.src}:${upstream.sport} → ${upstream.dst}:${upstream.dport}`);
    const [lo, docker0] = [followed(path.join(dir, 'lo.pcap'), client.dport), followed(path.join(dir, 'docker0.pcap'), upstream.dport)];
    const payload = c.evidence.filter((e) => e.kind === 'payload');
    expect(payload).toHaveLength(1);
    expect(payload[0].offset).toBe(lo.toClient.length - docker0.toClient.length);
    expect(payload[0].values).toEqual([docker0.toClient.length, lo.toClient.length]);
    expect(c.explanation.join(' ')).toContain('before the capture began (its handshake is not in it)');
  });
});

/** captures/03-egress-masquerade cut by editcap to begin inside its TCP conversation's reply. */
const egress = path.join(capturesDir, '03-egress-masquerade');

describe.skipIf(!existsSync(path.join(egress, 'eth0.pcap')) || !hasCommand('tshark') || !hasCommand('editcap'))('03\'s container egress with the capture begun in its reply', () => {
  it('pairs docker0 and eth0 as MASQUERADE by the packets both hold, the container\'s port first, though only the reply\'s last packets remain', async () => {
    const truth = JSON.parse(readFileSync(path.join(egress, 'truth.json'), 'utf8')) as { conversations: { proto: string; mechanism: string; legs: { interfaces: string[]; tuple: { src: string; sport: number; dst: string; dport: number } }[] }[] };
    const t = truth.conversations.find((c) => c.proto === 'tcp' && c.mechanism === 'snat')!;
    const inside = t.legs.find((l) => l.interfaces.includes('docker0'))!.tuple;
    const outside = t.legs.find((l) => l.interfaces.includes('eth0'))!.tuple;
    // From the server's last data segment on docker0: its copy on eth0 went by just before.
    const at = tsharkFields(path.join(egress, 'docker0.pcap'), `tcp.srcport == ${inside.dport} && tcp.dstport == ${inside.sport} && tcp.len > 0`, ['frame.time_epoch']).at(-1)![0];
    const dir = tempDir('natflow-03cut-');
    const veth = 'veth2f22765';
    for (const f of ['eth0', 'docker0', veth]) execFileSync('editcap', ['-A', at, path.join(egress, `${f}.pcap`), path.join(dir, `${f}.pcap`)]);
    // eth0 keeps no payload of this connection: only ACKs and FINs, told apart by their IP IDs.
    expect(tsharkFields(path.join(dir, 'eth0.pcap'), `tcp.port == ${outside.sport} && tcp.len > 0`, ['frame.number'])).toEqual([]);
    const r = await analyzeCaptures(['eth0', 'docker0', veth].map((f) => path.join(dir, `${f}.pcap`)));
    const c = r.analysis.correlations.map((x) => plainCorrelation(x)).find((x) => r.flowsById.get(x.legs[0])!.src.port === inside.sport)!;
    expect(c.mechanism).toBe('snat');
    expect(c.legs.map((id) => r.flowsById.get(id)!.iface)).toEqual([veth, 'docker0', 'eth0']);
    expect([tuple(c, r.flowsById, 1), tuple(c, r.flowsById, 2)]).toEqual([`${inside.src}:${inside.sport} → ${inside.dst}:${inside.dport}`, `${outside.src}:${outside.sport} → ${outside.dst}:${outside.dport}`]);
    expect(c.notes.join(' ')).not.toContain('nat OUTPUT');
  });
});
