/**
 * One benchmark measurement in its own process, so each figure has its own peak RSS.
 * Usage: node dist/bench/worker.js <mode> <file>; prints one JSON object.
 */
import { benchRead, bareWalk } from './read-bench.js';
import { benchDecode } from './decode-bench.js';

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
