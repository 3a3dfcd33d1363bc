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
import { benchCorrelate, natScenarioFiles } from './correlate-bench.js';
import type { ResponseMix } from './gen-nat-scenarios.js';

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
  analyzeSection();
}

/**
 * The whole `natflow analyze` on the generator's NAT/proxy capture (targets: precision and
 * recall >= 99.5%, >= 150 MB/s, peak RSS < 500 MB), measured in its own process, next to
 * tshark's TCP conversation table on the same file: first the original small-response mix, then
 * the web mix (responses of 200 B–128 KB in MSS-sized segments).
 */
function analyzeSection(): void {
  const n = Number(process.env.NATFLOW_BENCH_CONVERSATIONS ?? 20_000);
  process.stdout.write(`\nanalyze: ${n} generated conversations (proxy, DNAT, MASQUERADE; a third with identical payloads)\n`);
  analyzeMix(n, 'small', '');
  analyzeMix(n, 'web', 'web mix, ');
}

function analyzeMix(n: number, mix: ResponseMix, label: string): void {
  let f: ReturnType<typeof benchCorrelate>;
  try {
    f = benchCorrelate(n, dir, mix);
  } catch (e) {
    process.stdout.write(`  ${label}failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return;
  }
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  line(`natflow analyze (${label}${(f.bytes / 1e6).toFixed(0)} MB)`, { mbPerSec: f.mbPerSec, recordsPerSec: f.packetsPerSec, seconds: f.seconds, peakRssMB: f.peakRssMB });
  process.stdout.write(
    `  conversations ${f.conversations}, precision ${pct(f.precision)}, recall ${pct(f.recall)}, exact ${f.exact}; ` +
      `CPU load ${f.cpuMs.load.toFixed(0)} ms, correlate ${f.cpuMs.correlate.toFixed(0)} ms, explain ${f.cpuMs.explain.toFixed(0)} ms; ` +
      `JSON output afterwards ${f.jsonCpuMs.toFixed(0)} ms, peak RSS then ${f.peakRssWithJsonMB.toFixed(0)} MB\n`,
  );
  const { pcapng } = natScenarioFiles(n, mix, dir);
  line(`tshark -q -z conv,tcp${label ? ` (${label.slice(0, -2)})` : ''}`, external('tshark', 'tshark', ['-r', pcapng, '-q', '-z', 'conv,tcp'], f.bytes, f.packets));
}

main();
