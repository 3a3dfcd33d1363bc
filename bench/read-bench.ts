/**
 * Reader throughput on one capture file. Pure: returns numbers, prints nothing; the bench
 * runner decides how to report them.
 */
import { open } from 'node:fs/promises';
import { readCapture } from '../src/read/index.js';

export interface Throughput {
  records: number;
  bytes: number;
  seconds: number;
  mbPerSec: number;
  recordsPerSec: number;
}

export interface ReadBenchResult {
  file: string;
  /** (a) The floor: chunked reads + classic pcap record headers, nothing else. Null for non-pcap input. */
  bareWalk: Throughput | null;
  /** (b) readCapture with an empty callback. */
  readCapture: Throughput;
}

export interface ReadBenchOptions {
  /** Runs per variant; the fastest counts (default 3). */
  repeat?: number;
  chunkSize?: number;
}

function throughput(records: number, bytes: number, ns: bigint): Throughput {
  const seconds = Number(ns) / 1e9;
  return { records, bytes, seconds, mbPerSec: bytes / 1e6 / seconds, recordsPerSec: records / seconds };
}

/** Chunked walk over a classic pcap, reading only record headers; null if not a plain pcap. */
export async function bareWalk(path: string, chunkSize = 1 << 20): Promise<Throughput | null> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunkSize);
    const t0 = process.hrtime.bigint();
    let { bytesRead } = await fh.read(buf, 0, chunkSize, null);
    if (bytesRead < 24) return null;
    const magic = buf.readUInt32LE(0);
    let le: boolean;
    if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
    else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
    else return null;
    let end = bytesRead;
    let p = 24;
    let records = 0;
    let total = bytesRead;
    for (;;) {
      while (end - p >= 16) {
        const caplen = le ? buf.readUInt32LE(p + 8) : buf.readUInt32BE(p + 8);
        if (end - p - 16 < caplen) break;
        p += 16 + caplen;
        records++;
      }
      buf.copyWithin(0, p, end);
      end -= p;
      p = 0;
      ({ bytesRead } = await fh.read(buf, end, chunkSize - end, null));
      if (bytesRead === 0) break;
      end += bytesRead;
      total += bytesRead;
    }
    return throughput(records, total, process.hrtime.bigint() - t0);
  } finally {
    await fh.close();
  }
}

async function readerPass(path: string, chunkSize: number | undefined): Promise<Throughput> {
  const t0 = process.hrtime.bigint();
  const res = await readCapture(path, () => undefined, { chunkSize });
  const ns = process.hrtime.bigint() - t0;
  if (res.error) throw res.error;
  return throughput(res.records, res.bytesRead, ns);
}

function fastest(a: Throughput | null, b: Throughput | null): Throughput | null {
  if (!a) return b;
  if (!b) return a;
  return b.seconds < a.seconds ? b : a;
}

export async function benchRead(path: string, opts: ReadBenchOptions = {}): Promise<ReadBenchResult> {
  const repeat = Math.max(1, opts.repeat ?? 3);
  let bare: Throughput | null = null;
  let reader: Throughput | null = null;
  for (let i = 0; i < repeat; i++) {
    bare = fastest(bare, await bareWalk(path, opts.chunkSize));
    reader = fastest(reader, await readerPass(path, opts.chunkSize));
  }
  return { file: path, bareWalk: bare, readCapture: reader! };
}
