import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaptureError, iterateCapture, readCapture, type CaptureRecord } from '../../src/read/index.js';
import { pcapsDir, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

const tmp = tempDir('natflow-read-');

interface Flat {
  tsSec: number;
  tsNsec: number;
  caplen: number;
  len: number;
  linktype: number;
  hex: string;
}

async function collect(p: string, chunkSize?: number) {
  const out: Flat[] = [];
  const res = await readCapture(
    p,
    (r: CaptureRecord) => {
      out.push({ tsSec: r.tsSec, tsNsec: r.tsNsec, caplen: r.caplen, len: r.len, linktype: r.linktype, hex: Buffer.from(r.data).toString('hex') });
    },
    { chunkSize },
  );
  return { res, out };
}

const samples = [
  'tcpdump/print-flags.pcap',
  'pcapplusplus/nanosecs_big_endian.pcap',
  'pcapng-test-generator/output_be/difficult/test202.pcapng',
  'rusticata-pcap-parser/wireshark_samples-test.pcapng',
].map((p) => path.join(pcapsDir, p));

describe('gzip', () => {
  it.each(samples.map((s) => [path.basename(s), s] as const))('gzip of %s gives the same records, detected by content', async (_n, abs) => {
    const plain = await collect(abs);
    // A name that says nothing about gzip: detection must be by magic.
    const gz = path.join(tmp, `${path.basename(abs)}.capture`);
    writeFileSync(gz, gzipSync(readFileSync(abs)));
    const packed = await collect(gz);
    expect(plain.res.error).toBeNull();
    expect(packed.res.error).toBeNull();
    expect(packed.res.info?.compressed).toBe(true);
    expect(plain.res.info?.compressed).toBe(false);
    expect(packed.out).toEqual(plain.out);
    expect(plain.out.length).toBeGreaterThan(0);
  });

  it('a gzip file cut short delivers the records before the cut, then a CaptureError', async () => {
    const abs = samples[3];
    const whole = gzipSync(readFileSync(abs));
    const gz = path.join(tmp, 'cut.gz');
    writeFileSync(gz, whole.subarray(0, Math.floor(whole.length / 2)));
    const plain = await collect(abs);
    const cut = await collect(gz);
    expect(cut.res.error).toBeInstanceOf(CaptureError);
    expect(cut.res.error!.message).toContain(gz);
    expect(cut.out.length).toBeGreaterThan(0);
    expect(cut.out.length).toBeLessThan(plain.out.length);
    expect(cut.out).toEqual(plain.out.slice(0, cut.out.length));
  });
});

describe('chunk boundaries', () => {
  it.each(samples.map((s) => [path.basename(s), s] as const))('%s reads the same with tiny and odd chunk sizes', async (_n, abs) => {
    const ref = await collect(abs);
    for (const size of [64, 77, 1000, 4096]) {
      const got = await collect(abs, size);
      expect(got.res.error).toBeNull();
      expect(got.out).toEqual(ref.out);
    }
  });
});

describe('iterateCapture', () => {
  it('yields copies equal to what readCapture delivers, and throws the CaptureError at the end', async () => {
    const abs = path.join(pcapsDir, 'derived/get-truncated-mid-record-data.pcap');
    const ref = await collect(abs);
    const got: Flat[] = [];
    let thrown: unknown = null;
    try {
      for await (const r of iterateCapture(abs)) {
        got.push({ tsSec: r.tsSec, tsNsec: r.tsNsec, caplen: r.caplen, len: r.len, linktype: r.linktype, hex: Buffer.from(r.data).toString('hex') });
      }
    } catch (e) {
      thrown = e;
    }
    expect(got).toEqual(ref.out);
    expect(thrown).toBeInstanceOf(CaptureError);
    expect((thrown as CaptureError).message).toBe(ref.res.error!.message);
  });
});

describe('inputs that are not captures', () => {
  it('empty file (0 bytes) is an error, not a silent success', async () => {
    const p = path.join(tmp, 'empty.pcap');
    writeFileSync(p, '');
    const { res } = await collect(p);
    expect(res.error).toBeInstanceOf(CaptureError);
    expect(res.error!.message).toBe(`${p}: empty file at byte 0`);
  });

  it('a header-only pcap (tcpdump/empty.pcap) is a valid capture with no records', async () => {
    const { res } = await collect(path.join(pcapsDir, 'tcpdump/empty.pcap'));
    expect(res.error).toBeNull();
    expect(res.records).toBe(0);
    expect(res.info?.format).toBe('pcap');
  });

  it('a directory', async () => {
    const d = path.join(tmp, 'adir');
    mkdirSync(d, { recursive: true });
    const { res } = await collect(d);
    expect(res.error?.message).toMatch(new RegExp(`^${escape(d)}: .*directory`));
  });

  it('a nonexistent file', async () => {
    const p = path.join(tmp, 'nope.pcap');
    const { res } = await collect(p);
    expect(res.error?.message).toMatch(new RegExp(`^${escape(p)}: .*no such file`));
  });

  it('a text file is said to be text, with its first bytes', async () => {
    const p = path.join(tmp, 'notes.txt');
    writeFileSync(p, 'Hello, world\n');
    const { res } = await collect(p);
    expect(res.error?.message).toBe(
      `${p}: text, not a pcap, pcapng or gzip file: if it is tcpdump's printed output, record with tcpdump -w FILE instead (first bytes 48 65 6c 6c 6f 2c 20 77) at byte 0`,
    );
  });

  it('uses the label option in messages', async () => {
    const p = path.join(tmp, 'empty2.pcap');
    writeFileSync(p, '');
    const res = await readCapture(p, () => undefined, { label: 'capture #2' });
    expect(res.error?.message).toBe('capture #2: empty file at byte 0');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('standard input', () => {
  let script: string;
  beforeAll(() => {
    // Compile just the reader so a plain node process can import it.
    const out = path.join(tmp, 'build');
    execFileSync(
      process.execPath,
      [
        path.join(repoRoot, 'node_modules/typescript/bin/tsc'),
        path.join(repoRoot, 'src/read/index.ts'),
        '--outDir', out, '--rootDir', repoRoot, '--module', 'nodenext', '--moduleResolution', 'nodenext',
        '--target', 'es2022', '--types', 'node', '--skipLibCheck', '--strict',
      ],
      { stdio: 'pipe' },
    );
    script = path.join(tmp, 'count-stdin.mjs');
    writeFileSync(
      script,
      `import { readCapture } from ${JSON.stringify(path.join(out, 'src/read/index.js'))};
let sum = 0;
const res = await readCapture('-', (r) => { sum += r.caplen; });
console.log(JSON.stringify({ records: res.records, sum, compressed: res.info?.compressed ?? null, error: res.error?.message ?? null }));
`,
    );
  }, 120_000);

  function viaStdin(bytes: Buffer): Promise<{ records: number; sum: number; compressed: boolean | null; error: string | null }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', () => {
        try {
          resolve(JSON.parse(out));
        } catch (e) {
          reject(new Error(`bad child output ${out}: ${String(e)}`));
        }
      });
      child.stdin.end(bytes);
    });
  }

  it.each(samples.map((s) => [path.basename(s), s] as const))("'-' reads %s piped on stdin, plain and gzipped", async (_n, abs) => {
    const ref = await collect(abs);
    const sum = ref.out.reduce((a, r) => a + r.caplen, 0);
    const bytes = readFileSync(abs);
    expect(await viaStdin(bytes)).toEqual({ records: ref.out.length, sum, compressed: false, error: null });
    expect(await viaStdin(gzipSync(bytes))).toEqual({ records: ref.out.length, sum, compressed: true, error: null });
  }, 30_000);

  it("empty standard input is an 'empty file' error", async () => {
    expect(await viaStdin(Buffer.alloc(0))).toEqual({ records: 0, sum: 0, compressed: null, error: '-: empty file at byte 0' });
  }, 30_000);
});

describe('a named pipe (FIFO) or process substitution', () => {
  // `natflow analyze <(tcpdump -w - …)`: the path is a pipe, with no positions to read at.
  for (const [label, gzip] of [['plain', false], ['gzip', true]] as const) {
    it(`${label}: delivers the same records as the file`, async () => {
      const src = samples[3];
      const fifo = path.join(tmp, `capture-${label}.fifo`);
      execFileSync('mkfifo', [fifo]);
      const bytes = readFileSync(src);
      const writer = spawn('sh', ['-c', `cat > '${fifo}'`], { stdio: ['pipe', 'ignore', 'inherit'] });
      writer.stdin.end(gzip ? gzipSync(bytes) : bytes);
      const viaPipe = await collect(fifo);
      const viaFile = await collect(src);
      expect(viaPipe.res.error).toBeNull();
      expect(viaPipe.out.length).toBeGreaterThan(0);
      expect(viaPipe.out).toEqual(viaFile.out);
    });
  }
});

describe('stopped by an AbortSignal (the TUI quit while loading)', () => {
  const big = path.join(repoRoot, 'captures/08-concurrent/eth0.pcap');

  it('a file: reading stops at the next chunk with the abort, not a capture error, and the rest is not read', async () => {
    const all = await collect(big, 4096);
    expect(all.out.length).toBeGreaterThan(500);
    const stop = new AbortController();
    let seen = 0;
    const reading = readCapture(
      big,
      () => {
        if (++seen === 10) stop.abort();
      },
      { chunkSize: 4096, signal: stop.signal },
    );
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    // What one 4 KiB chunk holds at most after the abort, far from the whole file.
    expect(seen).toBeLessThan(100);
  });

  it('a pipe whose writer holds it open: the wait for more data ends with the abort', async () => {
    const fifo = path.join(tmp, 'held-open.fifo');
    execFileSync('mkfifo', [fifo]);
    // Writes a whole capture, then keeps the pipe open (as `ssh host tcpdump -w -` does); its own
    // process group, so that the sleep goes too.
    const writer = spawn('sh', ['-c', `(cat '${big}'; sleep 30) > '${fifo}'`], { stdio: 'ignore', detached: true });
    try {
      const stop = new AbortController();
      let seen = 0;
      const reading = readCapture(fifo, () => void seen++, { signal: stop.signal });
      // Every record of the file arrives; then the reader waits on the open pipe until aborted.
      const total = (await collect(big)).out.length;
      while (seen < total) await new Promise((r) => setTimeout(r, 20));
      const t0 = Date.now();
      stop.abort();
      await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      process.kill(-writer.pid!, 'SIGTERM');
    }
  });

  it('analyzeCaptures with an aborted signal rejects with the abort', async () => {
    const { analyzeCaptures } = await import('../../src/correlate/analyze.js');
    await expect(analyzeCaptures([big], { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('a FIFO whose writer is gone before the reading starts', () => {
  // The end of a FIFO is only seen by a descriptor open while a writer was: read through one
  // opened later (a second open through /proc), a short capture written at once hung for good.
  it('ends, thirty times out of thirty, with the fault of a capture cut short', async () => {
    const cut = path.join(tmp, 'cut-short.pcap');
    writeFileSync(cut, readFileSync(path.join(repoRoot, 'captures/01-localhost-proxy/lo.pcap')).subarray(0, 1000));
    for (let i = 0; i < 30; i++) {
      const fifo = path.join(tmp, `gone-${i}.fifo`);
      execFileSync('mkfifo', [fifo]);
      const writer = spawn('sh', ['-c', `cat '${cut}' > '${fifo}'`], { stdio: 'ignore' });
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), 3000);
      });
      const r = await Promise.race([collect(fifo), hung]);
      clearTimeout(timer);
      writer.kill();
      expect(r, `try ${i + 1}`).not.toBe('hung');
      if (r !== 'hung') expect(r.res.error?.message).toMatch(/truncated record .* at byte 913$/);
    }
  }, 60_000);
});
