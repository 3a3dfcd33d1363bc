import type { Flow } from '../flows/flow.js';
import type { Analysis, Correlation, FlowSummary } from '../correlate/model.js';
import { palette, type Palette } from './colour.js';
import { sanitizeText as clean } from './sanitize.js';
import { wrapText } from './wrap-text.js';
import { explainUnpairedFlow } from '../explain/explain-correlation.js';
import { LazyCorrelation } from '../correlate/lazy-correlation.js';

export interface AnalysisTextOptions {
  color: boolean;
  width: number;
}

/**
 * `natflow analyze` default output: the summary, each correlation (legs, mechanism, confidence,
 * hops with rewrite and rule, evidence, numbered explanation), then unpaired flows and what was
 * inferred. Every string that can come from a capture or a rules file is sanitized; lines are
 * wrapped to `width` (at least 40).
 */
export function renderAnalysisText(a: Analysis, flows: Map<string, Flow>, opts: AnalysisTextOptions): string {
  return [...analysisTextLines(a, flows, opts)].join('\n') + '\n';
}

/**
 * The same output line by line, a correlation at a time: its hops, evidence and explanation are
 * written for the output and not kept (LazyCorrelation.transientPlain), so printing tens of
 * thousands of conversations needs memory for one.
 */
export function* analysisTextLines(a: Analysis, flows: Map<string, Flow>, opts: AnalysisTextOptions): Generator<string, void, undefined> {
  const width = Math.max(40, opts.width || 80);
  const p = palette(opts.color);
  const summaries = new Map(a.flows.map((f) => [f.id, f]));
  const para = (text: string, first = '', rest = ' '.repeat(first.length)): string[] => wrapText(clean(text), width, first, rest);

  yield p.bold('natflow analysis');
  yield* para(a.summary);
  for (const c of a.correlations) {
    yield '';
    const out: string[] = [];
    renderCorrelation(c instanceof LazyCorrelation ? c.transientPlain() : c, summaries, flows, p, width, out);
    yield* out;
  }
  const unpaired = a.unpaired.map((id) => summaries.get(id)).filter((f): f is FlowSummary => !!f);
  if (unpaired.length) {
    yield '';
    yield p.bold(`Unpaired flows (${unpaired.length})`);
    const capturedIfaces = [...new Set(a.captures.flatMap((c) => c.interfaces))];
    let lastWhy = '';
    for (const f of unpaired) {
      yield* para(`${f.id} ${f.iface} ${f.proto} ${f.src} → ${f.dst} ${f.packets} pkts ${f.state}${appText(f)}`, '  ', '      ');
      // Why it has no counterpart (the explainer's possible reasons), once per run of flows that
      // share them: thousands of unpaired flows should not repeat the same sentence each.
      const flow = flows.get(f.id);
      const why = flow ? explainUnpairedFlow(flow, { capturedIfaces }).slice(1).join(' ') : '';
      if (why !== '' && why !== lastWhy) yield* para(why, '      ', '      ');
      lastWhy = why;
    }
  }
  if (a.inferences.length) {
    yield '';
    yield p.bold('Inferences');
    for (const i of a.inferences) yield* para(i, '  - ', '    ');
  }
}

function appText(f: FlowSummary): string {
  const h = f.app?.http;
  if (h) return ` [HTTP ${[h.method, h.path, h.status].filter((x) => x != null).join(' ')}]`;
  if (f.app?.dns?.qname) return ` [DNS ${f.app.dns.qname}]`;
  if (f.app?.tls?.sni) return ` [TLS ${f.app.tls.sni}]`;
  return '';
}

function legLine(id: string, summaries: Map<string, FlowSummary>, flows: Map<string, Flow>): { iface: string; text: string } {
  const s = summaries.get(id);
  if (s) return { iface: clean(s.iface), text: `${s.src} → ${s.dst} (${s.proto}, ${id})${appText(s)}` };
  const f = flows.get(id);
  if (f) return { iface: clean(f.iface), text: `${f.src.ip}:${f.src.port} → ${f.dst.ip}:${f.dst.port} (${id})` };
  return { iface: '?', text: id };
}

function renderCorrelation(c: Correlation, summaries: Map<string, FlowSummary>, flows: Map<string, Flow>, p: Palette, width: number, out: string[]): void {
  const para = (text: string, first: string, rest = ' '.repeat(first.length)) => out.push(...wrapText(clean(text), width, first, rest));
  out.push(`${p.bold(clean(c.id))}  ${p.mechanism(c.mechanism)}  confidence ${c.confidence.toFixed(2)}`);
  const legs = c.legs.map((id) => legLine(id, summaries, flows));
  const w = Math.min(16, Math.max(...legs.map((l) => l.iface.length), 3));
  out.push('  legs:');
  legs.forEach((l, i) => para(l.text, `    ${i + 1}. ${l.iface.padEnd(w)} `));
  if (c.hops.length) {
    out.push('  hops:');
    for (const h of c.hops) {
      const lat = h.latency !== null ? `, +${(h.latency * 1000).toFixed(3)} ms` : '';
      para(`${h.from} → ${h.to} ${h.mechanism}: ${h.rewrite}${lat}`, '    - ', '      ');
      if (h.rule) {
        para(`rule: ${h.rule.table} ${h.rule.chain}: ${h.rule.text}${h.rule.source ? ` (${h.rule.source})` : ''}`, '      ', '        ');
        for (const r of h.rule.also ?? []) para(`then: ${r.table} ${r.chain}: ${r.text}${r.source ? ` (${r.source})` : ''}`, '      ', '        ');
      }
      if (h.fields.length) para(`fields: ${h.fields.map((f) => `${f.field} ${f.verdict}${f.verdict === 'preserved' ? '' : ` (${f.from} → ${f.to})`}`).join(', ')}`, '      ', '        ');
    }
  }
  if (c.evidence.length) {
    out.push('  evidence:');
    for (const e of c.evidence) para(`${e.detail} [${e.kind}]`, '    - ', '      ');
  }
  if (c.notes.length) {
    const first = '  notes: ';
    const lines = wrapText(clean(c.notes.join('; ')), width, first, ' '.repeat(first.length));
    out.push(...lines.map((l) => p.warn(l)));
  }
  if (c.explanation.length) {
    out.push('  explanation:');
    c.explanation.forEach((s, i) => para(s, `    ${i + 1}. `.padEnd(8)));
  }
}
