/**
 * The whole `natflow analyze` pipeline, for the CLI, the bench and the tests: load the captures
 * (../flows/load-captures.ts), correlate, add side evidence, explain.
 */
import { readFileSync } from 'node:fs';
import type { CaptureError } from '../read/capture-error.js';
import type { Flow } from '../flows/flow.js';
import { loadCaptures, type LoadOptions, type LoadResult } from '../flows/load-captures.js';
import type { IfindexNames } from '../flows/interface-names.js';
import type { Analysis } from './model.js';
import { correlate, type CaptureInput } from './correlate.js';
import { applySideInputs } from './side-inputs.js';
import { explainCorrelation, summarizeAnalysis } from '../explain/index.js';

export interface AnalyzeOptions {
  /** Paths of `--rules` / `--conntrack` files. */
  rulesFile?: string | null;
  conntrackFile?: string | null;
  ifindexNames?: IfindexNames;
  version?: string;
  flowOptions?: LoadOptions['flowOptions'];
  /** Called while the captures are read (the TUI shows bytes read and packets/s). */
  onProgress?: LoadOptions['onProgress'];
}

export interface AnalyzeResult {
  analysis: Analysis;
  flows: Flow[];
  flowsById: Map<string, Flow>;
  /** Capture faults in argument order; what was read before each still counts. */
  errors: CaptureError[];
  bytesRead: number;
}

export function captureInputs(loaded: LoadResult): CaptureInput[] {
  return loaded.captures.map((c) => ({
    file: c.file,
    format: c.format,
    linktype: c.linktypes,
    interfaces: [...new Set(c.interfaces.map((i) => i.name))],
    packets: c.packets,
    error: c.error ? c.error.message : null,
  }));
}

export async function analyzeCaptures(args: readonly string[], opts: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const loaded = await loadCaptures(args, { ifindexNames: opts.ifindexNames, flowOptions: opts.flowOptions, onProgress: opts.onProgress });
  // Side files are read before correlating so an unreadable one fails fast (a plain Error: bad argument).
  const rules = opts.rulesFile ? { text: readFileSync(opts.rulesFile, 'utf8'), source: opts.rulesFile } : null;
  const conntrack = opts.conntrackFile ? { text: readFileSync(opts.conntrackFile, 'utf8'), source: opts.conntrackFile } : null;
  const { analysis, flowsById, hopTuples } = correlate(loaded.flows, captureInputs(loaded), { version: opts.version });
  applySideInputs(analysis, hopTuples, { rules, conntrack }, new Set(loaded.flows.map((f) => f.dst.port).filter((p) => p >= 0)));
  const capturedIfaces = [...new Set(analysis.captures.flatMap((c) => c.interfaces))];
  for (const c of analysis.correlations) c.explanation = explainCorrelation(c, flowsById, { rulesGiven: rules !== null, capturedIfaces });
  analysis.summary = summarizeAnalysis(analysis);
  const bytesRead = loaded.captures.reduce((s, c) => s + c.bytesRead, 0);
  return { analysis, flows: loaded.flows, flowsById, errors: loaded.errors, bytesRead };
}
