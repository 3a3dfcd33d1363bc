/**
 * The detail pane of one correlation as lines: the legs side by side, then per hop the rewrite,
 * the rule that did it (NAT hops; named when --rules was given) and the field-preservation diff,
 * then evidence, explanation steps and notes. Pure, so the layout is tested without rendering.
 */
import type { Correlation, FieldDiff, FlowSummary, Mechanism } from '../../correlate/model.js';
import type { ListRow } from './list-rows.js';
import type { StyledLine } from './styled-line.js';
import { fit } from './text-fit.js';

const LABEL_W = 10;

/** The hops a NAT rule rewrote, the only ones --rules can name a rule for (correlate/side-inputs.ts). */
const KERNEL_NAT: ReadonlySet<Mechanism> = new Set<Mechanism>(['dnat', 'snat', 'dnat+snat']);

function legTable(legs: FlowSummary[], selected: number, width: number): StyledLine[] {
  const colW = Math.max(12, Math.floor((width - LABEL_W) / Math.max(1, legs.length)) - 1);
  const row = (label: string, cells: string[]): string =>
    fit(label, LABEL_W) + cells.map((c) => fit(c, colW)).join(' ');
  const heads = legs.map((f, i) => `${i === selected ? '▶' : ' '}leg ${i + 1} ${f.iface}`);
  const http = legs.map((f) => (f.app?.http ? `${f.app.http.method ?? ''} ${f.app.http.path ?? ''}`.trim() : ''));
  const lines: StyledLine[] = [
    { text: row('', heads), tone: 'title' },
    { text: row('flow', legs.map((f) => `${f.id} ${f.proto}`)) },
    { text: row('src', legs.map((f) => f.src)) },
    { text: row('dst', legs.map((f) => f.dst)) },
    { text: row('state', legs.map((f) => f.state)) },
    { text: row('packets', legs.map((f) => `${f.packets} (${f.bytes} B)`)) },
    { text: row('first', legs.map((f) => f.firstTs)) },
    // One per NAT side: what finds each side in Zeek / Suricata / tshark records.
    { text: row('community', legs.map((f) => f.communityId)) },
  ];
  if (http.some((h) => h !== '')) lines.push({ text: row('http', http) });
  return lines;
}

function verdictTone(v: FieldDiff['verdict']): StyledLine['tone'] {
  return v === 'preserved' ? 'good' : v === 'rewritten' ? 'warn' : v === 'shifted' ? 'accent' : 'dim';
}

function fieldLines(fields: FieldDiff[], width: number): StyledLine[] {
  const valW = Math.max(10, Math.floor((width - 12 - 12) / 2) - 1);
  return fields.map((f) => ({
    text: `  ${fit(f.field, 10)}${fit(f.from, valW)} ${fit(f.to, valW)} ${f.verdict}`,
    tone: verdictTone(f.verdict),
  }));
}

export function buildDetailLines(
  row: ListRow,
  corr: Correlation | null,
  flows: ReadonlyMap<string, FlowSummary>,
  selectedLeg: number,
  width: number,
): StyledLine[] {
  const legs = row.legs.map((id) => flows.get(id)).filter((f): f is FlowSummary => f !== undefined);
  const lines: StyledLine[] = [];
  lines.push({ text: corr ? `Legs (${legs.length})   pair id ${corr.pairId}` : `Legs (${legs.length})`, tone: 'title' });
  lines.push(...legTable(legs, selectedLeg, width));
  if (!corr) {
    lines.push({ text: '' }, { text: 'Unpaired flow: no other leg of this conversation was found in the captures.', tone: 'dim' });
    return lines;
  }
  corr.hops.forEach((h, i) => {
    lines.push({ text: '' });
    const lat = h.latency != null ? `, +${(h.latency * 1000).toFixed(3)} ms` : '';
    lines.push({ text: `Hop ${i + 1}: ${h.from} → ${h.to}  ${h.mechanism}${lat}`, tone: 'title' });
    lines.push({ text: `  rewrite: ${h.rewrite}` });
    if (h.rule) {
      for (const r of [h.rule, ...(h.rule.also ?? [])]) {
        const src = r.source ? ` (${r.source})` : '';
        const hits = r.counters ? ` [${r.counters.packets} pkts]` : '';
        lines.push({ text: `  rule: ${r.table}/${r.chain}: ${r.text}${src}${hits}`, tone: 'accent' });
      }
    } else if (KERNEL_NAT.has(h.mechanism)) {
      lines.push({ text: '  rule: unknown (give --rules to name it)', tone: 'dim' });
    }
    // Bridge and userland-proxy hops get no rule line: no NAT rule bridges a frame or relays a
    // connection, so there is no rule to name (--rules attributes kernel rewrites only).
    if (h.fields.length > 0) {
      const valW = Math.max(10, Math.floor((width - 12 - 12) / 2) - 1);
      lines.push({ text: `  ${fit('field', 10)}${fit(`leg ${i + 1}`, valW)} ${fit(`leg ${i + 2}`, valW)} verdict`, tone: 'dim' });
      lines.push(...fieldLines(h.fields, width));
    }
  });
  lines.push({ text: '' }, { text: `Evidence (confidence ${corr.confidence.toFixed(2)})`, tone: 'title' });
  if (corr.evidence.length === 0) lines.push({ text: '  none recorded', tone: 'dim' });
  for (const e of corr.evidence) lines.push({ text: `  • ${e.kind}: ${e.detail} (${e.weight.toFixed(2)})` });
  lines.push({ text: '' }, { text: 'Explanation', tone: 'title' });
  corr.explanation.forEach((step, i) => lines.push({ text: `  ${i + 1}. ${step}` }));
  if (corr.explanation.length === 0) lines.push({ text: '  (no explanation written for this correlation)', tone: 'dim' });
  if (corr.notes.length > 0) {
    lines.push({ text: '' }, { text: 'Notes', tone: 'title' });
    for (const n of corr.notes) lines.push({ text: `  ! ${n}`, tone: 'warn' });
  }
  return lines;
}
