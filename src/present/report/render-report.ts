/**
 * Analysis + flows → one self-contained HTML page (`natflow report`): inline CSS, inline SVG, one
 * small inline script pinned by a Content-Security-Policy hash, no network reference at all.
 * Summary first, then a section per correlation (ladder included), unpaired flows last.
 */
import { createHash } from 'node:crypto';
import { LazyCorrelation } from '../../correlate/lazy-correlation.js';
import { MECHANISMS, type Analysis, type Correlation, type FlowSummary, type Hop } from '../../correlate/model.js';
import type { Flow } from '../../flows/flow.js';
import { linkControlKind, linkControlKindsText, splitLinkControl } from '../../flows/link-control.js';
import { buildLadder, clockOffsetsUs, DEFAULT_MAX_PACKETS_PER_LEG } from '../ladder/build-ladder.js';
import { renderLadderSvg } from './svg-ladder.js';
import { escapeCut, escapeHtml } from './html-escape.js';
import { REPORT_CSS, REPORT_SCRIPT } from './report-assets.js';

export interface ReportOptions {
  /** Packets drawn per leg in each diagram (default 40). */
  maxPacketsPerLeg?: number;
  /** Diagrams drawn at most; later correlations keep their text (default 300). */
  maxDiagrams?: number;
  /** Correlation sections open on load when there are at most this many (default 12); otherwise all start collapsed but the first. */
  openLimit?: number;
  title?: string;
}

export const DEFAULT_MAX_DIAGRAMS = 300;

const SCRIPT_HASH = createHash('sha256').update(REPORT_SCRIPT, 'utf8').digest('base64');
const CSP = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${SCRIPT_HASH}'; base-uri 'none'; form-action 'none'`;

const e = escapeHtml;

export function renderReport(a: Analysis, flows: ReadonlyMap<string, Flow>, opts: ReportOptions = {}): string {
  return [...reportParts(a, flows, opts)].join('');
}

/**
 * The same page in parts, a conversation per part (each part ends with its newline): a
 * conversation's hops, evidence and explanation are written for the page and not kept
 * (LazyCorrelation.transientPlain), so a report of tens of thousands needs memory for one.
 */
export function* reportParts(a: Analysis, flows: ReadonlyMap<string, Flow>, opts: ReportOptions = {}): Generator<string, void, undefined> {
  const maxPackets = opts.maxPacketsPerLeg ?? DEFAULT_MAX_PACKETS_PER_LEG;
  const maxDiagrams = opts.maxDiagrams ?? DEFAULT_MAX_DIAGRAMS;
  const openLimit = opts.openLimit ?? 12;
  const title = opts.title ?? 'natflow report';
  const summaries = new Map(a.flows.map((f) => [f.id, f]));
  const offsets = clockOffsetsUs(a);
  // Neighbor discovery, MLD and IGMP among the unpaired flows: counted and listed apart.
  const unpaired = splitLinkControl(a.unpaired, flows);
  const lines = (...parts: string[]): string => parts.filter((x) => x !== '').map((x) => `${x}\n`).join('');

  yield lines(
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${e(CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${e(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head><body>',
    `<header><h1>${e(title)}</h1>`,
    a.summary ? `<p class="summary-text">${e(a.summary)}</p>` : '',
    '</header>',
    renderSummary(a, unpaired.rest.length, unpaired.control.length),
    '<div class="toolbar"><input id="filter" type="search" placeholder="filter: address, port, interface, mechanism, HTTP path…" aria-label="filter conversations" autocomplete="off">',
    '<span id="filter-count"></span><button type="button" id="expand-all">expand all</button><button type="button" id="collapse-all">collapse all</button></div>',
    `<main id="correlations"><h2>Conversations (${a.correlations.length})</h2>`,
    a.correlations.length === 0 ? '<p>No conversation was seen on more than one leg.</p>' : '',
  );
  for (let i = 0; i < a.correlations.length; i++) {
    const lazy = a.correlations[i];
    const c = lazy instanceof LazyCorrelation ? lazy.transientPlain() : lazy;
    const open = a.correlations.length <= openLimit || i === 0;
    yield lines(renderCorrelation(c, summaries, i < maxDiagrams ? { flows, maxPackets, offsets } : null, open));
  }
  yield lines(
    a.correlations.length > maxDiagrams ? `<p class="diagram-note">Diagrams drawn for the first ${maxDiagrams} conversations only.</p>` : '',
    '</main>',
    renderUnpaired(unpaired.rest, unpaired.control, summaries, linkControlKindsText(unpaired.control.map((id) => {
      const f = flows.get(id);
      return f === undefined ? null : linkControlKind(f);
    }), true)),
    `<footer>natflow ${e(a.version)} · self-contained report: no network access needed to open it.</footer>`,
    `<script>${REPORT_SCRIPT}</script>`,
    '</body></html>',
  );
}

function renderSummary(a: Analysis, unpaired: number, control: number): string {
  const rows = a.captures.map((c) => {
    const offset = c.clockOffset === null ? '—' : `${c.clockOffset >= 0 ? '+' : ''}${c.clockOffset.toFixed(6)} s`;
    return (
      `<tr><td class="mono">${e(c.file)}</td><td>${e(c.format ?? '?')}</td><td class="mono">${e(c.interfaces.join(', '))}</td>` +
      `<td>${c.packets}</td><td>${e(offset)}${c.clockOffsetBasis ? ` <span class="conf">(${e(c.clockOffsetBasis)})</span>` : ''}</td>` +
      `<td>${c.error ? e(c.error) : ''}</td></tr>`
    );
  });
  const counts = new Map<string, number>();
  for (const c of a.correlations) counts.set(c.mechanism, (counts.get(c.mechanism) ?? 0) + 1);
  const order = [...MECHANISMS, ...[...counts.keys()].filter((m) => !(MECHANISMS as readonly string[]).includes(m))];
  const chips = order.filter((m) => counts.has(m)).map((m) => `<span data-mechanism="${e(m)}"><b>${counts.get(m)}</b> ${e(m)}</span>`);
  chips.push(`<span><b>${unpaired}</b> unpaired flow${unpaired === 1 ? '' : 's'}</span>`);
  if (control > 0) chips.push(`<span><b>${control}</b> link-local control</span>`);
  const ifaces = [...new Set(a.captures.flatMap((c) => c.interfaces))];
  return [
    '<section id="summary"><h2>Summary</h2>',
    `<p>${a.captures.length} capture${a.captures.length === 1 ? '' : 's'}, interfaces <code>${e(ifaces.join(', '))}</code>, ${a.flows.length} flows${'selection' in a ? ' in the conversations shown' : ''}.</p>`,
    `<div class="counts">${chips.join('')}</div>`,
    '<table class="captures"><thead><tr><th>capture</th><th>format</th><th>interfaces</th><th>packets</th><th>clock offset</th><th>error</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody></table>`,
    a.inferences.length > 0 ? `<h3>Inferences</h3><ul class="inferences">${a.inferences.map((s) => `<li>${e(s)}</li>`).join('')}</ul>` : '',
    '</section>',
  ].join('\n');
}

function legText(f: FlowSummary | undefined, id: string): string {
  return f ? `${f.iface} ${f.src} → ${f.dst}` : id;
}

function appText(f: FlowSummary | undefined): string {
  const h = f?.app?.http;
  if (h) return [h.method, h.path, h.status !== undefined ? String(h.status) : undefined].filter((x) => x !== undefined).join(' ');
  const d = f?.app?.dns;
  if (d) return `DNS ${d.qname ?? ''}`;
  const t = f?.app?.tls;
  if (t?.sni) return `TLS ${t.sni}`;
  return '';
}

/** The request from whichever leg saw it (a reply half sees only the status), plus the status. */
function conversationApp(legs: Array<FlowSummary | undefined>): string {
  const req = legs.find((f) => f?.app?.http?.method !== undefined || f?.app?.http?.path !== undefined)?.app?.http;
  const status = legs.find((f) => f?.app?.http?.status !== undefined)?.app?.http?.status;
  if (req || status !== undefined) return [req?.method, req?.path, status !== undefined ? String(status) : undefined].filter((x) => x !== undefined).join(' ');
  for (const f of legs) {
    const t = appText(f);
    if (t) return t;
  }
  return '';
}

interface DiagramInput {
  flows: ReadonlyMap<string, Flow>;
  maxPackets: number;
  offsets: Map<string, number>;
}

function renderCorrelation(c: Correlation, summaries: Map<string, FlowSummary>, diagram: DiagramInput | null, open: boolean): string {
  const legs = c.legs.map((id) => summaries.get(id));
  const first = legs[0];
  const last = legs[legs.length - 1];
  const app = conversationApp(legs);
  const path = legs.map((f, i) => legText(f, c.legs[i]));
  // Searchable by a side's Community ID or the pair id too (pasted from a Zeek or Suricata log).
  const search = [c.id, c.mechanism, ...path, app, ...legs.map(appText), ...c.hops.map((h) => h.rewrite), ...c.notes, ...c.communityIds, c.pairId].join(' ').toLowerCase();
  const head =
    `<span class="mech">${e(c.mechanism)}</span>${e(c.id)} · ` +
    `<span class="mono">${e(first ? first.src : '?')} → ${e(last ? last.dst : '?')}</span>` +
    ` <span class="conf">via ${e([...new Set(legs.map((f) => f?.iface ?? '?'))].join(' → '))} · confidence ${Math.round(c.confidence * 100)}%</span>` +
    (app ? ` <span class="conf mono">${escapeCut(app, 80)}</span>` : '');
  const body: string[] = [];
  if (c.explanation.length > 0) body.push('<h3>Explanation</h3><ol class="explanation">', ...c.explanation.map((s) => `<li>${e(s)}</li>`), '</ol>');
  body.push('<h3>Legs</h3><table class="legs"><thead><tr><th>flow</th><th>interface</th><th>client</th><th>server</th><th>packets</th><th>state</th><th>application</th><th>Community ID</th></tr></thead><tbody>');
  legs.forEach((f, i) => {
    body.push(
      f
        ? `<tr><td>${e(f.id)}</td><td class="mono">${e(f.iface)}</td><td class="mono">${e(f.src)}</td><td class="mono">${e(f.dst)}</td><td>${f.packets}</td><td>${e(f.state)}</td><td class="mono">${escapeCut(appText(f), 100)}</td><td class="mono">${e(c.communityIds[i] ?? '')}</td></tr>`
        : `<tr><td>${e(c.legs[i])}</td><td colspan="7">flow not in the analysis</td></tr>`,
    );
  });
  body.push('</tbody></table>', `<p>Pair id <code>${e(c.pairId)}</code>: natflow's id for the conversation, from the Community IDs of its sides.</p>`);
  if (c.hops.length > 0) body.push('<h3>Hops</h3>', ...c.hops.map(renderHop));
  if (c.evidence.length > 0) {
    body.push('<h3>Evidence</h3><table class="evidence"><thead><tr><th>kind</th><th>detail</th><th>weight</th></tr></thead><tbody>');
    for (const ev of c.evidence) body.push(`<tr><td>${e(ev.kind)}</td><td>${e(ev.detail)}</td><td>${ev.weight.toFixed(2)}</td></tr>`);
    body.push('</tbody></table>');
  }
  if (c.notes.length > 0) body.push('<h3>Notes</h3><ul class="notes">', ...c.notes.map((n) => `<li>${e(n)}</li>`), '</ul>');
  body.push('<h3>Ladder</h3>');
  if (diagram) {
    const ladder = buildLadder(c, diagram.flows, { maxPacketsPerLeg: diagram.maxPackets, clockOffsetsUs: diagram.offsets });
    body.push(`<div class="figure">${renderLadderSvg(ladder)}</div>`);
    const notes = [...ladder.notes];
    if (ladder.legs.length < c.legs.length) notes.push(`${c.legs.length - ladder.legs.length} leg(s) without flow data are not drawn`);
    if (notes.length > 0) body.push(`<p class="diagram-note">${notes.map(e).join('<br>')}</p>`);
  } else {
    body.push('<p class="diagram-note">Diagram not drawn: the report draws the first conversations only (see --max-diagrams).</p>');
  }
  return (
    `<section class="correlation" id="corr-${e(c.id)}" data-mechanism="${e(c.mechanism)}" data-search="${e(search)}">` +
    `<details${open ? ' open' : ''}><summary>${head}</summary><div class="body">${body.join('\n')}</div></details></section>`
  );
}

function renderHop(h: Hop): string {
  const rule = h.rule ? `<p>rule: <code>${e(h.rule.table)}/${e(h.rule.chain)}: ${e(h.rule.text)}</code>${h.rule.source ? ` <span class="conf">(${e(h.rule.source)})</span>` : ''}</p>` : '';
  const latency = h.latency === null ? '' : ` <span class="conf">after ${(h.latency * 1000).toFixed(3)} ms</span>`;
  const fields = h.fields.map(
    (d) => `<tr class="field-${e(d.verdict)}"><td>${e(d.field)}</td><td class="mono">${e(d.from)}</td><td class="mono">${e(d.to)}</td><td class="${e(d.verdict)}">${e(d.verdict)}</td></tr>`,
  );
  return (
    `<div class="hop" data-mechanism="${e(h.mechanism)}"><p><b>${e(h.from)} → ${e(h.to)}</b> <span class="mech">${e(h.mechanism)}</span> ${e(h.rewrite)}${latency}</p>${rule}` +
    (fields.length > 0 ? `<table class="fields"><thead><tr><th>field</th><th>before</th><th>after</th><th>verdict</th></tr></thead><tbody>${fields.join('')}</tbody></table>` : '') +
    '</div>'
  );
}

/**
 * The unpaired flows, then the link-local control traffic in a section of its own, closed.
 * `kinds`: the kinds of that traffic present ("neighbor discovery or MLD"), named in its blurb.
 */
function renderUnpaired(others: readonly string[], control: readonly string[], summaries: Map<string, FlowSummary>, kinds: string): string {
  return [unpairedSection('unpaired', `Unpaired flows (${others.length})`, others, summaries, others.length <= 50, 'seen on one leg only', '<p>Every flow belongs to a conversation above.</p>'),
    control.length === 0 ? '' : unpairedSection('link-control', `Link-local control traffic (${control.length})`, control, summaries, false, `${kinds === '' ? '' : `of ${kinds}: `}on every link, never NATed`, '')].join('\n');
}

function unpairedSection(id: string, title: string, ids: readonly string[], summaries: Map<string, FlowSummary>, open: boolean, what: string, empty: string): string {
  const rows = ids.map((id) => {
    const f = summaries.get(id);
    if (!f) return `<tr class="flow" data-search="${e(id.toLowerCase())}"><td>${e(id)}</td><td colspan="7"></td></tr>`;
    const search = [f.id, f.iface, f.proto, f.src, f.dst, f.state, appText(f)].join(' ').toLowerCase();
    return (
      `<tr class="flow" data-search="${e(search)}"><td>${e(f.id)}</td><td class="mono">${e(f.iface)}</td><td>${e(f.proto)}</td>` +
      `<td class="mono">${e(f.src)}</td><td class="mono">${e(f.dst)}</td><td>${f.packets}</td><td>${e(f.state)}</td><td class="mono">${escapeCut(appText(f), 100)}</td></tr>`
    );
  });
  return [
    `<section id="${id}"><h2>${e(title)}</h2>`,
    ids.length === 0
      ? empty
      : `<details${open ? ' open' : ''}><summary>${ids.length} flow${ids.length === 1 ? '' : 's'} ${e(what)}</summary>` +
        '<table class="unpaired"><thead><tr><th>flow</th><th>interface</th><th>proto</th><th>client</th><th>server</th><th>packets</th><th>state</th><th>application</th></tr></thead>' +
        `<tbody>${rows.join('')}</tbody></table></details>`,
    '</section>',
  ].join('\n');
}
