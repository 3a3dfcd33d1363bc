/**
 * One benchmark measurement in its own process, so each figure has its own peak RSS.
 * Usage: node dist/bench/worker.js <mode> <file>; prints one JSON object.
 */
import { benchRead, bareWalk } from './read-bench.js';
import { benchDecode } from './decode-bench.js';
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';

/** pcap-parser (CommonJS, untyped): the npm package the design first named, measured for the README. */
function pcapParserPass(file: string): Promise<Record<string, unknown>> {
  const require = createRequire(import.meta.url);
  const { parse } = require('pcap-parser') as { parse: (f: string) => EventEmitter };
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let records = 0;
    let bytes = 24;
    const p = parse(file);
    p.on('packet', (pkt: { header: { capturedLength: number } }) => {
      records++;
      bytes += 16 + pkt.header.capturedLength;
    });
    p.on('error', reject);
    p.on('end', () => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      resolve({ records, bytes, seconds, mbPerSec: bytes / 1e6 / seconds, recordsPerSec: records / seconds });
    });
  });
}

async function run(mode: string, file: string): Promise<Record<string, unknown>> {
  switch (mode) {
    case 'walk': {
      const t = await bareWalk(file);
      return { ...t };
    }
    case 'read': {
      const r = await benchRead(file, { repeat: 1 });
      return { ...r.readCapture };
    }
    case 'decode': {
      const d = await benchDecode(file);
      return { records: d.packets, bytes: d.bytes, seconds: d.seconds, mbPerSec: d.mbPerSec, recordsPerSec: d.packetsPerSec };
    }
    case 'pcap-parser':
      return pcapParserPass(file);
    default:
      throw new Error(`unknown bench mode ${mode}`);
  }
}

const [mode, file] = process.argv.slice(2);
run(mode, file).then(
  (r) => {
    process.stdout.write(`${JSON.stringify({ ...r, peakRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
  },
  (err: unknown) => {
    process.stderr.write(`bench worker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
