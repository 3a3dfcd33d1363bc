/**
 * `natflow analyze --json` written in pieces (src/present/analysis-json.ts) is byte for byte what
 * `JSON.stringify(analysis, null, 2)` writes, on every recorded scenario and on edge inputs, and a
 * correlation's lazily written sentences are not kept once written.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { captureInputs } from '../../src/correlate/analyze.js';
import { correlate } from '../../src/correlate/correlate.js';
import type { Analysis, Correlation } from '../../src/correlate/model.js';
import { explainCorrelation } from '../../src/explain/index.js';
import { loadCaptures } from '../../src/flows/load-captures.js';
import { analysisJsonChunks, streamAnalysisJson, writeAnalysisJson } from '../../src/present/analysis-json.js';
import { capturesDir } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const tmp = tempDir('natflow-json-');
const VERSION = '9.9.9-test';

/** Every recorded scenario directory (captures/NN-name/ holding pcaps). */
const scenarioDirs = readdirSync(capturesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && readdirSync(path.join(capturesDir, d.name)).some((f) => /\.pcap(ng)?$/.test(f)))
  .map((d) => path.join(capturesDir, d.name))
  .sort();

function written(a: Analysis, space?: number): { text: string; chunks: number; largest: number } {
  let text = '';
  let chunks = 0;
  let largest = 0;
  writeAnalysisJson(
    a,
    (c) => {
      text += c;
      chunks++;
      largest = Math.max(largest, c.length);
    },
    space === undefined ? {} : { space },
  );
  return { text, chunks, largest };
}

/** The pieced document first (it must not depend on what JSON.stringify caches), then the reference. */
function expectSameAsStringify(a: Analysis): string {
  const { text } = written(a);
  const compact = written(a, 0).text;
  expect(text).toBe(JSON.stringify(a, null, 2));
  expect(compact).toBe(JSON.stringify(a));
  return text;
}

describe('analysis JSON written in pieces', () => {
  // The recorded scenarios ship with the repository: nothing to skip.
  it.each(scenarioDirs.map((d) => [path.basename(d), d]))('%s: identical to JSON.stringify(analysis, null, 2)', async (_name, dir) => {
    const r = await analyzeCaptures([dir], { version: VERSION });
    const text = expectSameAsStringify(r.analysis);
    // Not vacuous: the scenario has flows, and (all but host networking) paired conversations with explanations.
    expect(r.analysis.flows.length).toBeGreaterThan(0);
    expect((JSON.parse(text) as Analysis).flows).toHaveLength(r.analysis.flows.length);
  });

  const s02 = path.join(capturesDir, '02-external-dnat');
  it('with --rules and --conntrack (hops and evidence already written by the side inputs)', async () => {
    const r = await analyzeCaptures([s02], { version: VERSION, rulesFile: path.join(s02, 'iptables-save.txt'), conntrackFile: path.join(s02, 'conntrack.txt') });
    const text = expectSameAsStringify(r.analysis);
    const a = JSON.parse(text) as Analysis;
    const dnat = a.correlations.find((c) => c.mechanism === 'dnat');
    expect(dnat?.evidence.some((e) => e.kind === 'rule')).toBe(true);
    expect(dnat?.explanation.length).toBeGreaterThan(0);
  });

  it('a capture with no packet (zero flows): empty arrays as JSON.stringify writes them', async () => {
    // Classic pcap global header only: magic, v2.4, zone 0, sigfigs 0, snaplen 65535, Ethernet.
    const hdr = Buffer.alloc(24);
    hdr.writeUInt32LE(0xa1b2c3d4, 0);
    hdr.writeUInt16LE(2, 4);
    hdr.writeUInt16LE(4, 6);
    hdr.writeUInt32LE(65535, 16);
    hdr.writeUInt32LE(1, 20);
    const file = path.join(tmp, 'empty.pcap');
    writeFileSync(file, hdr);
    const r = await analyzeCaptures([file], { version: VERSION });
    expect(r.analysis.flows).toHaveLength(0);
    const text = expectSameAsStringify(r.analysis);
    expect(text).toContain('"flows": []');
    expect(text).toContain('"correlations": []');
  });

  it('a capture cut in the middle of a record: the error field and what was read before it', async () => {
    const src = readFileSync(path.join(capturesDir, '02-external-dnat', 'eth0.pcap'));
    const cut = path.join(tmp, 'eth0-cut.pcap');
    writeFileSync(cut, src.subarray(0, Math.min(src.length - 1, 1001)));
    const r = await analyzeCaptures([cut, path.join(capturesDir, '02-external-dnat', 'docker0.pcap')], { version: VERSION });
    expect(r.errors).toHaveLength(1);
    const a = JSON.parse(expectSameAsStringify(r.analysis)) as Analysis;
    expect(a.captures[0].error).toMatch(/at byte \d+/);
  });

  it('text that needs escaping (quotes, backslash, control and non-ASCII bytes in an HTTP path) is escaped as JSON.stringify does', async () => {
    // Scenario 01's request path rewritten in place, same length, on both legs (TCP checksums go
    // stale; natflow never checks them).
    const original = Buffer.from('/hello.txt?m=nf-s01-c1', 'latin1');
    const hostile = Buffer.from('/"\\\x01\x1b[31m\x7f\xe9\xff\u00e9\u2028\\u0041"/ok', 'utf8').subarray(0, original.length);
    expect(hostile.length).toBe(original.length);
    const files = ['lo.pcap', 'docker0.pcap'].map((name) => {
      const buf = readFileSync(path.join(capturesDir, '01-localhost-proxy', name));
      let n = 0;
      for (let at = buf.indexOf(original); at >= 0; at = buf.indexOf(original, at + original.length), n++) hostile.copy(buf, at);
      expect(n).toBeGreaterThan(0);
      const out = path.join(tmp, `hostile-${name}`);
      writeFileSync(out, buf);
      return out;
    });
    const r = await analyzeCaptures(files, { version: VERSION });
    const text = expectSameAsStringify(r.analysis);
    // The rewritten path reached the document, escaped.
    expect(text).toMatch(/\\"\\\\/);
  });

  it('a correlation\'s explanation is written for the output and not kept: the explainer runs again on the next read', async () => {
    const dir = path.join(capturesDir, '01-localhost-proxy');
    const loaded = await loadCaptures([path.join(dir, 'lo.pcap'), path.join(dir, 'docker0.pcap')]);
    const { analysis, flowsById, explainWith } = correlate(loaded.flows, captureInputs(loaded), { version: VERSION });
    let calls = 0;
    explainWith((c: Correlation) => {
      calls++;
      return explainCorrelation(c, flowsById, {});
    });
    const n = analysis.correlations.length;
    expect(n).toBeGreaterThan(0);
    const first = written(analysis).text;
    expect(calls).toBe(n);
    expect(written(analysis).text).toBe(first);
    expect(calls).toBe(2 * n);
    // Reading the field the ordinary way still writes and keeps it, and says the same.
    const kept = analysis.correlations.map((c) => c.explanation);
    expect(calls).toBe(3 * n);
    expect(kept).toEqual((JSON.parse(first) as Analysis).correlations.map((c) => c.explanation));
    expect(JSON.stringify(analysis, null, 2)).toBe(first);
    expect(calls).toBe(3 * n);
  });

  it('one piece per flow, correlation and unpaired id, none the size of the document', async () => {
    const r = await analyzeCaptures([path.join(capturesDir, '08-concurrent')], { version: VERSION });
    const a = r.analysis;
    const { text, chunks, largest } = written(a);
    expect(chunks).toBeGreaterThanOrEqual(a.flows.length + a.correlations.length + a.unpaired.length);
    expect(largest).toBeLessThan(text.length / 4);
    expect([...analysisJsonChunks(a)].join('')).toBe(text);
  });
});

/** A stream that takes one write at a time, later, and asks for 'drain' past a small buffer. */
class SlowSink extends Writable {
  text = '';
  writes = 0;
  largestWrite = 0;
  constructor(private readonly failAfter = Infinity) {
    super({ highWaterMark: 1024, decodeStrings: false });
  }
  override _write(chunk: string | Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const s = typeof chunk === 'string' ? chunk : chunk.toString();
    this.writes++;
    this.largestWrite = Math.max(this.largestWrite, s.length);
    if (this.writes > this.failAfter) {
      setImmediate(() => cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
      return;
    }
    this.text += s;
    setImmediate(() => cb());
  }
}

describe('analysis JSON to a stream', () => {
  const dir = path.join(capturesDir, '08-concurrent');

  it('waits for the stream: the same document plus the newline, in bounded writes', async () => {
    const r = await analyzeCaptures([dir], { version: VERSION });
    const sink = new SlowSink();
    await expect(streamAnalysisJson(r.analysis, sink, { suffix: '\n', writeSize: 2048 })).resolves.toBe(true);
    expect(sink.text).toBe(`${JSON.stringify(r.analysis, null, 2)}\n`);
    expect(sink.writes).toBeGreaterThan(2);
    // A write is one gathering: up to writeSize plus the piece that crossed it.
    const largestPiece = Math.max(...[...analysisJsonChunks(r.analysis)].map((c) => c.length));
    expect(sink.largestWrite).toBeLessThanOrEqual(2048 + largestPiece + 1);
  });

  it('a reader that goes away (EPIPE) stops the writing quietly', async () => {
    const r = await analyzeCaptures([dir], { version: VERSION });
    const sink = new SlowSink(2);
    await expect(streamAnalysisJson(r.analysis, sink, { suffix: '\n', writeSize: 256 })).resolves.toBe(false);
    expect(sink.text.length).toBeLessThan(JSON.stringify(r.analysis, null, 2).length);
  });
});

describe('natflow analyze --json', () => {
  const files = ['eth0.pcap', 'docker0.pcap'].map((f) => path.join(capturesDir, '02-external-dnat', f));
  it('prints the analysis exactly as JSON.stringify(analysis, null, 2) followed by a newline', async () => {
    const cli = await runCli(['analyze', '--json', ...files]);
    expect(cli.code).toBe(0);
    const a = JSON.parse(cli.stdout) as Analysis;
    expect(a.correlations.length).toBeGreaterThan(0);
    const r = await analyzeCaptures(files, { version: a.version });
    expect(cli.stdout).toBe(`${JSON.stringify(r.analysis, null, 2)}\n`);
  });
});
