/**
 * `npm run bench`: generates its own captures under $NATFLOW_BENCH_DIR (default
 * /tmp/natflow-bench), then measures each stage in a separate process (throughput and peak
 * RSS) next to tcpdump on the same file. A benchmark, not a test: it prints figures and never
 * fails on them.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSmallFrames } from './gen-small-frames.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.env.NATFLOW_BENCH_DIR ?? '/tmp/natflow-bench';
const smallMB = Number(process.env.NATFLOW_BENCH_MB ?? 200);

interface Figure { mbPerSec?: number; recordsPerSec?: number; seconds?: number; peakRssMB?: number; [k: string]: unknown }

function worker(mode: string, file: string, script = 'worker.js'): Figure | null {
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, script), mode, file], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    process.stdout.write(`  ${mode}: failed: ${(r.stderr || '').trim().split('\n').pop()}\n`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Figure;
}

/** Times an external tool reading the same file; peak RSS through GNU time when present. */
function external(label: string, cmd: string, args: string[], bytes: number, packets: number): Figure | null {
  const which = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  if (which.status !== 0) {
    process.stdout.write(`  ${label}: not installed, skipped\n`);
    return null;
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `${cmd} ${args.map((a) => `'${a}'`).join(' ')} >/dev/null 2>&1`]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) return null;
  return { mbPerSec: bytes / 1e6 / seconds, recordsPerSec: packets / seconds, seconds };
}

function line(label: string, f: Figure | null): void {
  if (!f) return;
  const mb = f.mbPerSec !== undefined ? `${f.mbPerSec.toFixed(0).padStart(6)} MB/s` : '';
  const pps = f.recordsPerSec !== undefined ? `${(f.recordsPerSec / 1e6).toFixed(2).padStart(6)} Mpkt/s` : '';
  const rss = f.peakRssMB !== undefined ? `peak RSS ${f.peakRssMB.toFixed(0)} MB` : '';
  process.stdout.write(`  ${label.padEnd(34)} ${mb}  ${pps}  ${(f.seconds ?? 0).toFixed(2).padStart(6)} s  ${rss}\n`);
}

function main(): void {
  mkdirSync(dir, { recursive: true });
  const small = join(dir, `small-frames-${smallMB}MB.pcap`);
  if (!existsSync(small)) {
    process.stdout.write(`generating ${small} ...\n`);
    generateSmallFrames(small, smallMB * 1024 * 1024);
  }
  const bytes = statSync(small).size;
  const walk = worker('walk', small);
  const packets = Number(walk?.records ?? 0);
  process.stdout.write(`\nreader/decoder: ${small} (${(bytes / 1e6).toFixed(0)} MB, ${packets} packets, Ethernet/IPv4/TCP, ~4,000 interleaved flows)\n`);
  line('bare chunked record walk (floor)', walk);
  line('natflow reader', worker('read', small));
  line('pcap-parser (npm) reader', worker('pcap-parser', small));
  const dec = worker('decode', small);
  line('natflow reader + full decode', dec);
  const td = external('tcpdump', 'tcpdump', ['-nn', '-q', '-r', small], bytes, packets);
  line('tcpdump -nn -q -r > /dev/null', td);
  if (dec?.mbPerSec && td?.mbPerSec) process.stdout.write(`  decode vs tcpdump: ${(dec.mbPerSec / td.mbPerSec).toFixed(1)}x\n`);
  // Flow table on 1M short TCP connections (target: peak RSS < 300 MB), in its own process.
  const conns = process.env.NATFLOW_BENCH_CONNECTIONS ?? '1000000';
  process.stdout.write(`\nflow table: ${conns} short TCP connections\n`);
  const fb = spawnSync(process.execPath, [join(here, 'flows-bench.js'), conns], { encoding: 'utf8' });
  process.stdout.write(`  ${(fb.status === 0 ? fb.stdout : `failed: ${fb.stderr}`).trim()}\n`);
}

main();
