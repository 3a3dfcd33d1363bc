/** The recorded lab scenarios (captures/NN-name/) as the report tests read them. */
import path from 'node:path';
import { analyzeCaptures, type AnalyzeResult } from '../../src/correlate/analyze.js';
import type { Flow } from '../../src/flows/flow.js';
import { capturesDir } from '../helpers/paths.js';
import { readScenarioJson, scenarioNames } from '../helpers/scenario-dir.js';
import type { ScenarioMeta, Truth, TruthConversation } from '../helpers/truth.js';

export type { TruthConversation };

export interface Scenario {
  name: string;
  dir: string;
  /** Every per-interface capture of the scenario. */
  files: string[];
  truth: Truth;
}

export function scenarios(): Scenario[] {
  return scenarioNames().map((name) => {
    const dir = path.join(capturesDir, name);
    const meta = readScenarioJson<ScenarioMeta>(name, 'meta.json');
    const files = Object.values(meta.captures.perInterface).map((f) => path.join(dir, f));
    return { name, dir, files, truth: readScenarioJson<Scenario['truth']>(name, 'truth.json') };
  });
}

export async function analyze(files: string[]): Promise<AnalyzeResult & { flowMap: Map<string, Flow> }> {
  const r = await analyzeCaptures(files);
  return { ...r, flowMap: new Map(r.flows.map((f) => [f.id, f])) };
}

/** The `<section class="correlation" …>…</section>` blocks of a report, in order. */
export function correlationSections(html: string): string[] {
  return [...html.matchAll(/<section class="correlation"[\s\S]*?<\/section>/g)].map((m) => m[0]);
}

/** Decodes the five entities the report writes, to compare attribute values with plain text. */
export function unescapeHtml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

export function attrValues(html: string, attr: string): string[] {
  return [...html.matchAll(new RegExp(`${attr}="([^"]*)"`, 'g'))].map((m) => unescapeHtml(m[1]));
}
