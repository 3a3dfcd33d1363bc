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
import { median, runNatflowCli } from './cli-bench.js';

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
 * recall >= 99.5%, >= 150 MB/s, peak RSS < 500 MB), next to tshark's TCP conversation table on
 * the same file: first the original small-response mix, then the web mix (responses of
 * 200 B–128 KB in MSS-sized segments). Each figure is the median of NATFLOW_BENCH_RUNS runs
 * (default 3, the range next to it): this machine shares its host and single runs vary by ±20%.
 *
 * Two figures per mix: the analysis alone (read → decode → flows → correlate → explain, in a
 * process of its own, scored against the generator's truth), and the command a user runs
 * (`natflow analyze`, text and --json, output to /dev/null), node's startup and the writing of
 * every conversation's explanation included.
 */
function analyzeSection(): void {
  const n = Number(process.env.NATFLOW_BENCH_CONVERSATIONS ?? 20_000);
  const runs = Math.max(1, Number(process.env.NATFLOW_BENCH_RUNS ?? 3));
  process.stdout.write(`\nanalyze: ${n} generated conversations (proxy, DNAT, MASQUERADE; a third with identical payloads), median of ${runs} runs\n`);
  analyzeMix(n, 'small', '', runs);
  analyzeMix(n, 'web', 'web mix, ', runs);
}

function rangeText(xs: readonly number[], digits = 0): string {
  return xs.length > 1 ? ` (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})` : '';
}

function analyzeMix(n: number, mix: ResponseMix, label: string, runs: number): void {
  const all: ReturnType<typeof benchCorrelate>[] = [];
  try {
    for (let i = 0; i < runs; i++) all.push(benchCorrelate(n, dir, mix));
  } catch (e) {
    process.stdout.write(`  ${label}failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return;
  }
  const f = all[0];
  const rates = all.map((r) => r.mbPerSec);
  const seconds = median(all.map((r) => r.seconds));
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const mb = (f.bytes / 1e6).toFixed(0);
  line(`analysis alone (${label}${mb} MB)`, { mbPerSec: f.bytes / 1e6 / seconds, recordsPerSec: f.packets / seconds, seconds, peakRssMB: Math.max(...all.map((r) => r.peakRssMB)) });
  process.stdout.write(
    `  MB/s over the runs${rangeText(rates) || ` ${rates[0].toFixed(0)}`}; conversations ${f.conversations}, precision ${pct(f.precision)}, recall ${pct(f.recall)}, exact ${f.exact}; ` +
      `CPU (all threads) load ${f.cpuMs.load.toFixed(0)} ms, correlate ${f.cpuMs.correlate.toFixed(0)} ms, explain ${f.cpuMs.explain.toFixed(0)} ms\n`,
  );
  const { pcapng } = natScenarioFiles(n, mix, dir);
  for (const [name, args] of [
    ['natflow analyze', []],
    ['natflow analyze --json', ['--json']],
  ] as const) {
    const cli = Array.from({ length: runs }, () => runNatflowCli(['analyze', ...args, pcapng]));
    if (cli.some((r) => r.exitCode !== 0)) {
      process.stdout.write(`  ${name}: exited ${cli.find((r) => r.exitCode !== 0)?.exitCode}\n`);
      continue;
    }
    const s = median(cli.map((r) => r.seconds));
    line(`${name} > /dev/null`, { mbPerSec: f.bytes / 1e6 / s, recordsPerSec: f.packets / s, seconds: s, peakRssMB: Math.max(...cli.map((r) => r.peakRssMB)) });
    process.stdout.write(`  MB/s over the runs${rangeText(cli.map((r) => f.bytes / 1e6 / r.seconds))}\n`);
  }
  line(`tshark -q -z conv,tcp${label ? ` (${label.slice(0, -2)})` : ''}`, external('tshark', 'tshark', ['-r', pcapng, '-q', '-z', 'conv,tcp'], f.bytes, f.packets));
}

main();
