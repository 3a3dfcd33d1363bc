import type { Flow } from '../flows/flow.js';
import { linkControlKind, linkControlKindsText, splitLinkControl } from '../flows/link-control.js';
import type { Analysis, Correlation, FlowSummary } from '../correlate/model.js';
import { sanitizeText } from './sanitize.js';
import { LazyCorrelation } from '../correlate/lazy-correlation.js';
import { repliesOnly } from '../correlate/flow-summary.js';

export interface AnalysisMarkdownOptions {
  /**
   * Optional per-correlation diagram (e.g. a Mermaid sequenceDiagram in a ```mermaid fence),
   * placed between a correlation's legs and its hops. Return null to leave it out.
   */
  renderCorrelationDiagram?: (c: Correlation, flows: Map<string, Flow>, summaries: Map<string, FlowSummary>) => string | null;
}

/** What md() would change: controls (sanitizeText) and the characters it escapes. */
const NEEDS_MD_ESCAPING = /[\x00-\x1f\x7f-\x9f\\|<>]/;

/** Text from captures or rule files, safe inside Markdown prose and table cells. */
function md(s: string): string {
  if (!NEEDS_MD_ESCAPING.test(s)) return s;
  return sanitizeText(s).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
/** Inline code that cannot be broken out of: longest backtick run + 1 as the fence. */
function code(s: string): string {
  const t = sanitizeText(s);
  const run = Math.max(0, ...(t.match(/`+/g) ?? []).map((x) => x.length));
  const fence = '`'.repeat(run + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${t.replace(/\|/g, '\\|')}${pad}${fence}`;
}
/** Explanation steps keep their `rule` code spans; everything else is escaped. */
function prose(s: string): string {
  return sanitizeText(s).split(/(`[^`]*`)/).map((part, i) => (i % 2 === 1 ? part : md(part))).join('');
}

/** The `analyze` report as Markdown, to paste into an issue or a wiki. */
export function renderAnalysisMarkdown(a: Analysis, flows: Map<string, Flow>, opts: AnalysisMarkdownOptions = {}): string {
  return [...analysisMarkdownLines(a, flows, opts)].join('\n');
}

/**
 * The same report line by line (lines to join with newlines), a conversation at a time: its hops,
 * evidence and explanation are written for the output and not kept
 * (LazyCorrelation.transientPlain), so a report of tens of thousands needs memory for one.
 */
export function* analysisMarkdownLines(a: Analysis, flows: Map<string, Flow>, opts: AnalysisMarkdownOptions = {}): Generator<string, void, undefined> {
  let out: string[] = [];
  const summaries = new Map(a.flows.map((f) => [f.id, f]));
  out.push('# natflow analysis', '', prose(a.summary), '');
  if (a.captures.length) {
    out.push('## Captures', '', '| file | format | interfaces | packets | clock offset |', '|---|---|---|---:|---:|');
    for (const c of a.captures) {
      const off = c.clockOffset === null ? 'unknown' : `${(c.clockOffset * 1000).toFixed(3)} ms`;
      out.push(`| ${md(c.file)} | ${c.format ?? '?'} | ${c.interfaces.map(md).join(', ')} | ${c.packets} | ${off} |`);
    }
    out.push('');
    // A report pasted into an issue must not look whole when a file was cut short (the CLI's
    // one-line error goes to stderr, not into the report).
    for (const c of a.captures) if (c.error !== null) out.push(`**Capture cut short:** ${prose(c.error)}; what was read before the fault is analyzed.`, '');
  }
  if (a.correlations.length) out.push('## Conversations', '');
  for (const lazy of a.correlations) {
    yield* out;
    out = [];
    const c = lazy instanceof LazyCorrelation ? lazy.transientPlain() : lazy;
    out.push(`### ${md(c.id)}: ${c.mechanism} (confidence ${c.confidence.toFixed(2)})`, '');
    out.push('| # | interface | flow | source | destination | Community ID |', '|---:|---|---|---|---|---|');
    c.legs.forEach((id, i) => {
      const s = summaries.get(id);
      const f = flows.get(id);
      const iface = s?.iface ?? f?.iface ?? '?';
      const src = s?.src ?? (f ? `${f.src.ip}:${f.src.port}` : '?');
      const dst = s?.dst ?? (f ? `${f.dst.ip}:${f.dst.port}` : '?');
      out.push(`| ${i + 1} | ${md(iface)} | ${md(id)}${repliesOnly(f) ? ' (replies only)' : ''} | ${md(src)} | ${md(dst)} | \`${c.communityIds[i] ?? ''}\` |`);
    });
    out.push('', `Pair id \`${c.pairId}\`: natflow's id for the conversation, from the Community IDs of its sides.`, '');
    const diagram = opts.renderCorrelationDiagram?.(c, flows, summaries);
    if (diagram) out.push(diagram, '');
    if (c.hops.length) {
      out.push('**Hops**', '');
      for (const h of c.hops) {
        const lat = h.latency !== null ? `, +${(h.latency * 1000).toFixed(3)} ms` : '';
        out.push(`- ${md(h.from)} → ${md(h.to)} (${h.mechanism}): ${md(h.rewrite)}${lat}`);
        if (h.rule) {
          out.push(`  - rule (${md(h.rule.table)} ${md(h.rule.chain)}${h.rule.source ? `, ${md(h.rule.source)}` : ''}): ${code(h.rule.text)}`);
          for (const r of h.rule.also ?? []) out.push(`  - then (${md(r.table)} ${md(r.chain)}${r.source ? `, ${md(r.source)}` : ''}): ${code(r.text)}`);
        }
        if (h.fields.length) out.push(`  - fields: ${h.fields.map((f) => `${md(f.field)} ${f.verdict}${f.verdict === 'preserved' ? '' : ` (${md(f.from)} → ${md(f.to)})`}`).join(', ')}`);
      }
      out.push('');
    }
    if (c.evidence.length) {
      out.push('**Evidence**', '');
      for (const e of c.evidence) out.push(`- ${md(e.detail)} _(${md(e.kind)})_`);
      out.push('');
    }
    if (c.notes.length) out.push(`> **Note:** ${c.notes.map(md).join('; ')}`, '');
    if (c.explanation.length) {
      out.push('**What happened**', '');
      c.explanation.forEach((s, i) => out.push(`${i + 1}. ${prose(s)}`));
      out.push('');
    }
  }
  // Neighbor discovery, MLD and IGMP are on every link and never NATed: listed apart.
  const { control, rest } = splitLinkControl(a.unpaired, flows);
  // Named by the kinds listed: an IPv6 capture's section is no place for IGMP.
  const kinds = linkControlKindsText(control.map((id) => {
    const f = flows.get(id);
    return f === undefined ? null : linkControlKind(f);
  }));
  const sections: [string, string[]][] = [
    ['Unpaired flows', rest],
    [`Link-local control traffic${kinds === '' ? '' : ` (${kinds})`}, never NATed`, control],
  ];
  for (const [title, ids] of sections) {
    const listed = ids.map((id) => summaries.get(id)).filter((f): f is FlowSummary => !!f);
    if (listed.length === 0) continue;
    out.push(`## ${title}`, '', '| flow | interface | proto | source | destination | packets | state |', '|---|---|---|---|---|---:|---|');
    for (const f of listed) out.push(`| ${md(f.id)} | ${md(f.iface)} | ${md(f.proto)} | ${md(f.src)} | ${md(f.dst)} | ${f.packets} | ${md(f.state)} |`);
    out.push('');
  }
  if (a.inferences.length) {
    out.push('## Inferences', '');
    for (const i of a.inferences) out.push(`- ${md(i)}`);
    out.push('');
  }
  yield* out;
}
