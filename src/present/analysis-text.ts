import type { Flow } from '../flows/flow.js';
import { linkControlName, splitLinkControl } from '../flows/link-control.js';
import type { Analysis, Correlation } from '../correlate/model.js';
import { repliesOnly, type FlowBrief } from '../correlate/flow-summary.js';
import { flowBriefs } from './flow-briefs.js';
import { palette, type Palette } from './colour.js';
import { sanitizeText as clean } from './sanitize.js';
import { wrapText, wrapTextBlock } from './wrap-text.js';
import { captureContext, explainUnpairedFlow } from '../explain/explain-correlation.js';
import { LazyCorrelation } from '../correlate/lazy-correlation.js';
import { appText } from './app-text.js';

export interface AnalysisTextOptions {
  color: boolean;
  width: number;
  /**
   * Why an unpaired flow has no counterpart (../correlate/analyze.ts AnalyzeResult): knows the
   * flow's copies in other files and the side inputs. Without it, what the captures' list tells.
   */
  explainUnpaired?: (f: Flow) => string[];
}

/**
 * `natflow analyze` default output: the summary, each correlation (legs, mechanism, confidence,
 * hops with rewrite and rule, evidence, numbered explanation), then unpaired flows and what was
 * inferred. Every string that can come from a capture or a rules file is sanitized; lines are
 * wrapped to `width` (at least 40).
 */
export function renderAnalysisText(a: Analysis, flows: Map<string, Flow>, opts: AnalysisTextOptions): string {
  let out = '';
  for (const chunk of analysisTextChunks(a, flows, opts)) out += chunk;
  return out;
}

/**
 * The same output in pieces, a correlation at a time, each piece whole lines ended by newlines:
 * a correlation's hops, evidence and explanation are written for the output and not kept
 * (LazyCorrelation.transientPlain), so printing tens of thousands of conversations needs memory
 * for one. The text shows no Community IDs nor pair ids: they are not computed for it.
 */
export function* analysisTextChunks(a: Analysis, flows: Map<string, Flow>, opts: AnalysisTextOptions): Generator<string, void, undefined> {
  const width = Math.max(40, opts.width || 80);
  const p = palette(opts.color);
  const briefOf = flowBriefs(a, flows);
  const para = (text: string, first = '', rest = ' '.repeat(first.length)): string => paragraph(text, width, first, rest);

  yield `${p.bold('natflow analysis')}\n${para(a.summary)}`;
  for (const c of a.correlations) {
    yield `\n${renderCorrelation(c instanceof LazyCorrelation ? c.transientPlain(false) : c, briefOf, flows, p, width)}`;
  }
  // Neighbor discovery, MLD and IGMP are on every link and never NATed: one line each, apart.
  const split = splitLinkControl(a.unpaired, flows);
  const briefs = (ids: string[]): (FlowBrief & { id: string })[] => {
    const out: (FlowBrief & { id: string })[] = [];
    for (const id of ids) {
      const f = briefOf(id);
      if (f) out.push({ ...f, id });
    }
    return out;
  };
  const unpaired = briefs(split.rest);
  const control = briefs(split.control);
  if (unpaired.length) {
    yield `\n${p.bold(`Unpaired flows (${unpaired.length})`)}\n`;
    const inputs = captureContext(a.captures);
    const explain = opts.explainUnpaired ?? ((f: Flow) => explainUnpairedFlow(f, inputs));
    let lastWhy = '';
    for (const f of unpaired) {
      let block = para(`${f.id} ${f.iface} ${f.proto} ${f.src} → ${f.dst} ${f.packets} pkts ${f.state}${appText(f)}`, '  ', '      ');
      // Why it has no counterpart (the explainer's possible reasons), once per run of flows that
      // share them: thousands of unpaired flows should not repeat the same sentence each.
      const flow = flows.get(f.id);
      const why = flow ? explain(flow).slice(1).join(' ') : '';
      if (why !== '' && why !== lastWhy) block += para(why, '      ', '      ');
      lastWhy = why;
      yield block;
    }
  }
  if (control.length) {
    let block = `\n${p.bold(`Link-local control traffic, never NATed (${control.length})`)}\n`;
    for (const f of control) {
      const flow = flows.get(f.id);
      const what = flow === undefined ? null : linkControlName(flow);
      block += para(`${f.id} ${f.iface} ${f.proto} ${f.src} → ${f.dst} ${f.packets} pkts${what === null ? '' : `, ${what}`}`, '  ', '      ');
    }
    yield block;
  }
  if (a.inferences.length) {
    let block = `\n${p.bold('Inferences')}\n`;
    for (const i of a.inferences) block += para(i, '  - ', '    ');
    yield block;
  }
}

// Control characters (sanitizeText would strip them) or spacing other than single plain spaces
// (wrapping would redo it). Nearly every paragraph has neither, and one scan says so.
const NEEDS_CLEANING_OR_RESPACING = /[\x00-\x1f\x7f-\x9f]|  |[^\S ]/;

/** Sanitized and wrapped, each line ended by a newline. */
function paragraph(text: string, width: number, first: string, rest: string): string {
  const last = text.length - 1;
  if (last >= 0 && text.charCodeAt(0) !== 32 && text.charCodeAt(last) !== 32 && !NEEDS_CLEANING_OR_RESPACING.test(text)) {
    return wrapTextBlock(text, width, first, rest, true);
  }
  return wrapTextBlock(clean(text), width, first, rest);
}


function legLine(id: string, briefOf: (id: string) => FlowBrief | undefined, flows: Map<string, Flow>): { iface: string; text: string } {
  const s = briefOf(id);
  if (s) return { iface: clean(s.iface), text: `${s.src} → ${s.dst} (${s.proto}, ${id}${repliesOnly(flows.get(id)) ? ', replies only' : ''})${appText(s)}` };
  const f = flows.get(id);
  if (f) return { iface: clean(f.iface), text: `${f.src.ip}:${f.src.port} → ${f.dst.ip}:${f.dst.port} (${id})` };
  return { iface: '?', text: id };
}

/** One correlation's lines, each ended by a newline. */
function renderCorrelation(c: Correlation, briefOf: (id: string) => FlowBrief | undefined, flows: Map<string, Flow>, p: Palette, width: number): string {
  const para = (text: string, first: string, rest = ' '.repeat(first.length)): string => paragraph(text, width, first, rest);
  let out = `${p.bold(clean(c.id))}  ${p.mechanism(c.mechanism)}  confidence ${c.confidence.toFixed(2)}\n`;
  const legs = c.legs.map((id) => legLine(id, briefOf, flows));
  let w = 3;
  for (const l of legs) w = Math.max(w, l.iface.length);
  w = Math.min(16, w);
  out += '  legs:\n';
  for (let i = 0; i < legs.length; i++) out += para(legs[i].text, `    ${i + 1}. ${legs[i].iface.padEnd(w)} `);
  if (c.hops.length) {
    out += '  hops:\n';
    for (const h of c.hops) {
      const lat = h.latency !== null ? `, +${(h.latency * 1000).toFixed(3)} ms` : '';
      out += para(`${h.from} → ${h.to} ${h.mechanism}: ${h.rewrite}${lat}`, '    - ', '      ');
      if (h.rule) {
        out += para(`rule: ${h.rule.table} ${h.rule.chain}: ${h.rule.text}${h.rule.source ? ` (${h.rule.source})` : ''}`, '      ', '        ');
        for (const r of h.rule.also ?? []) out += para(`then: ${r.table} ${r.chain}: ${r.text}${r.source ? ` (${r.source})` : ''}`, '      ', '        ');
      }
      if (h.fields.length) {
        let fields = 'fields: ';
        for (let i = 0; i < h.fields.length; i++) {
          const f = h.fields[i];
          fields += `${i === 0 ? '' : ', '}${f.field} ${f.verdict}${f.verdict === 'preserved' ? '' : ` (${f.from} → ${f.to})`}`;
        }
        out += para(fields, '      ', '        ');
      }
    }
  }
  if (c.evidence.length) {
    out += '  evidence:\n';
    for (const e of c.evidence) out += para(`${e.detail} [${e.kind}]`, '    - ', '      ');
  }
  if (c.notes.length) {
    const first = '  notes: ';
    for (const l of wrapText(clean(c.notes.join('; ')), width, first, ' '.repeat(first.length))) out += `${p.warn(l)}\n`;
  }
  if (c.explanation.length) {
    out += '  explanation:\n';
    for (let i = 0; i < c.explanation.length; i++) out += para(c.explanation[i], `    ${i + 1}. `.padEnd(8));
  }
  return out;
}
