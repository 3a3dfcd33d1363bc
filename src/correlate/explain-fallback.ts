/**
 * FALLBACK, used only while src/explain (a colleague's explainer) has not landed: a minimal
 * explanation and summary so `analyze` output is never empty. Replace the call sites in
 * ./analyze.ts with explainCorrelation / summarizeAnalysis once they exist.
 */
import type { Flow } from '../flows/flow.js';
import type { Analysis, Correlation } from './model.js';

export function fallbackExplain(c: Correlation, flows: Map<string, Flow>): string[] {
  const out: string[] = [];
  for (const h of c.hops) {
    const a = flows.get(h.from);
    const b = flows.get(h.to);
    out.push(`${h.mechanism}: ${h.rewrite} (${a?.iface ?? h.from} → ${b?.iface ?? h.to})`);
  }
  return out;
}

export function fallbackSummary(a: Analysis): string {
  const by = new Map<string, number>();
  for (const c of a.correlations) by.set(c.mechanism, (by.get(c.mechanism) ?? 0) + 1);
  const parts = [...by].map(([m, n]) => `${n} ${m}`);
  return `${a.correlations.length} conversation${a.correlations.length === 1 ? '' : 's'}${parts.length ? ` (${parts.join(', ')})` : ''}; ${a.unpaired.length} unpaired flow${a.unpaired.length === 1 ? '' : 's'}.`;
}
