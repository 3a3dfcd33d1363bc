/**
 * Scale benchmark of the whole `natflow analyze` pipeline (read → decode → flows → correlate →
 * explain) on the generator's multi-interface NAT/proxy capture (./gen-nat-scenarios.ts), scored
 * against its ground truth.
 *
 *   node --expose-gc dist/bench/correlate-bench.js [conversations] [small|web]     (default 20000 small)
 *
 * The mix is the generator's response-size mix: 'small' (one short segment per response, the
 * original figures) or 'web' (responses of 200 B–128 KB in MSS-sized segments).
 *
 * Precision / recall are over leg pairs: every pair of flows a correlation puts together counts
 * as predicted, and is right only when the truth has both legs in one conversation AND the
 * correlation's mechanism is the truth's.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeCaptures } from '../src/correlate/analyze.js';
import type { Analysis } from '../src/correlate/model.js';
import { writeAnalysisJson } from '../src/present/analysis-json.js';
import { generateNatScenarios, RESPONSE_MIXES, type ResponseMix, type TruthConversation } from './gen-nat-scenarios.js';

export interface CorrelateBenchResult {
  conversations: number;
  bytes: number;
  seconds: number;
  mbPerSec: number;
  precision: number;
  recall: number;
  /** Truth conversations found whole, alone and with the right mechanism. */
  exact: number;
  predictedPairs: number;
  truePairs: number;
  correctPairs: number;
  peakRssMB: number;
  packets: number;
  packetsPerSec: number;
  /** CPU time per stage of analyze, milliseconds (load = read + decode + flow table). */
  cpuMs: { load: number; correlate: number; explain: number };
  /** CPU time to write the whole analysis as JSON afterwards (the lazily written text included). */
  jsonCpuMs: number;
  /** Size of that document (`analyze --json`'s, indented), UTF-8 megabytes. */
  jsonMB: number;
  /** Peak RSS once the JSON was written too. */
  peakRssWithJsonMB: number;
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** Scores an analysis against the generator's truth. */
export function scoreAgainstTruth(
  a: Analysis,
  truth: readonly TruthConversation[],
): Omit<CorrelateBenchResult, 'bytes' | 'seconds' | 'mbPerSec' | 'peakRssMB' | 'packets' | 'packetsPerSec' | 'cpuMs' | 'jsonCpuMs' | 'jsonMB' | 'peakRssWithJsonMB'> {
  // The generator reuses tuples (ports wrap after a few thousand conversations): the k-th truth
  // conversation with a tuple is the k-th flow with it, both being in time order.
  const byTuple = new Map<string, string[]>();
  const sorted = a.flows.slice().sort((x, y) => Number(x.firstTs) - Number(y.firstTs));
  for (const f of sorted) {
    const k = `${f.iface}|${f.src}|${f.dst}`;
    const l = byTuple.get(k);
    if (l) l.push(f.id);
    else byTuple.set(k, [f.id]);
  }
  const taken = new Map<string, number>();
  const truthPairs = new Map<string, string>();
  const truthLegs: string[][] = [];
  const ordered = truth.slice().sort((x, y) => x.id - y.id);
  for (const c of ordered) {
    const ids = c.legs.map((l) => {
      const k = `${l.iface}|${l.src}|${l.dst}`;
      const n = taken.get(k) ?? 0;
      taken.set(k, n + 1);
      return byTuple.get(k)?.[n] ?? `missing:${c.id}:${l.iface}`;
    });
    truthLegs.push(ids);
    for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) truthPairs.set(pairKey(ids[i], ids[j]), c.mechanism);
  }
  let predicted = 0;
  let correct = 0;
  const corrOf = new Map<string, Analysis['correlations'][number]>();
  for (const c of a.correlations) {
    for (const l of c.legs) corrOf.set(l, c);
    for (let i = 0; i < c.legs.length; i++) {
      for (let j = i + 1; j < c.legs.length; j++) {
        predicted++;
        if (truthPairs.get(pairKey(c.legs[i], c.legs[j])) === c.mechanism) correct++;
      }
    }
  }
  let exact = 0;
  ordered.forEach((t, k) => {
    const ids = truthLegs[k];
    const c = corrOf.get(ids[0]);
    if (c && c.mechanism === t.mechanism && c.legs.length === ids.length && ids.every((id) => c.legs.includes(id))) exact++;
  });
  return {
    conversations: truth.length,
    precision: predicted === 0 ? 0 : correct / predicted,
    recall: truthPairs.size === 0 ? 0 : correct / truthPairs.size,
    exact,
    predictedPairs: predicted,
    truePairs: truthPairs.size,
    correctPairs: correct,
  };
}

/** Runs analyze on an existing generated capture, in this process. */
export async function measureCorrelate(pcapng: string, truthPath: string): Promise<CorrelateBenchResult> {
  const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as TruthConversation[];
  const bytes = statSync(pcapng).size;
  const t0 = process.hrtime.bigint();
  const r = await analyzeCaptures([pcapng]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  if (r.errors.length > 0) throw new Error(r.errors[0].message);
  const score = scoreAgainstTruth(r.analysis, truth);
  // What a presenter pays on top: `analyze --json`'s document, written in pieces as the CLI
  // does (every lazily built sentence written, then dropped); bytes counted, pieces discarded.
  const c0 = process.cpuUsage();
  let jsonBytes = 0;
  writeAnalysisJson(r.analysis, (chunk) => {
    jsonBytes += Buffer.byteLength(chunk);
  });
  const jsonMB = jsonBytes / 1e6;
  const c1 = process.cpuUsage(c0);
  const packets = r.analysis.captures.reduce((s, c) => s + c.packets, 0);
  return {
    ...score,
    bytes,
    seconds,
    mbPerSec: bytes / 1e6 / seconds,
    packets,
    packetsPerSec: packets / seconds,
    peakRssMB,
    cpuMs: r.cpuMs,
    jsonCpuMs: (c1.user + c1.system) / 1000,
    jsonMB,
    peakRssWithJsonMB: process.resourceUsage().maxRSS / 1024,
  };
}

/** Where a generated capture and its truth live; the small mix keeps its original names. */
export function natScenarioFiles(conversations: number, mix: ResponseMix, dir: string): { pcapng: string; truthPath: string } {
  const stem = join(dir, `nat-scenarios-${mix === 'small' ? '' : `${mix}-`}${conversations}`);
  return { pcapng: `${stem}.pcapng`, truthPath: `${stem}.truth.json` };
}

/** Generates (once) and measures in a fresh process, so peak RSS is the analysis alone. */
export function benchCorrelate(conversations = 20_000, dir = process.env.NATFLOW_BENCH_DIR ?? '/tmp/natflow-bench', mix: ResponseMix = 'small'): CorrelateBenchResult {
  mkdirSync(dir, { recursive: true });
  const { pcapng, truthPath } = natScenarioFiles(conversations, mix, dir);
  if (!existsSync(pcapng) || !existsSync(truthPath)) generateNatScenarios(pcapng, truthPath, conversations, undefined, mix);
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'measure', pcapng, truthPath], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`correlate bench failed: ${(r.stderr || '').trim().split('\n').pop()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as CorrelateBenchResult;
}

async function cli(argv: string[]): Promise<void> {
  if (argv[0] === 'measure') {
    process.stdout.write(`${JSON.stringify(await measureCorrelate(argv[1], argv[2]))}\n`);
    return;
  }
  const n = Number(argv[0] ?? 20_000);
  const mix = (argv[1] ?? 'small') as ResponseMix;
  if (!RESPONSE_MIXES.includes(mix)) throw new Error(`unknown mix '${argv[1]}' (${RESPONSE_MIXES.join(', ')})`);
  const f = benchCorrelate(n, undefined, mix);
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  process.stdout.write(
    `correlate (${mix} mix): ${f.conversations} conversations, ${(f.bytes / 1e6).toFixed(1)} MB in ${f.seconds.toFixed(2)} s = ${f.mbPerSec.toFixed(0)} MB/s, ` +
      `precision ${pct(f.precision)}, recall ${pct(f.recall)} (${f.correctPairs}/${f.predictedPairs} predicted, ${f.truePairs} true pairs; ${f.exact} conversations exact), peak RSS ${f.peakRssMB.toFixed(0)} MB\n` +
      `  CPU: load ${f.cpuMs.load.toFixed(0)} ms, correlate ${f.cpuMs.correlate.toFixed(0)} ms, side inputs + explain ${f.cpuMs.explain.toFixed(0)} ms; ` +
      `JSON output afterwards (${f.jsonMB.toFixed(0)} MB) ${f.jsonCpuMs.toFixed(0)} ms (peak RSS then ${f.peakRssWithJsonMB.toFixed(0)} MB)\n`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  cli(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
