/**
 * The rows of the main list: one per correlation and one per unpaired flow, built once from the
 * Analysis. Filtering and sorting return index arrays into the row array, so a 100,000-row list
 * is never copied and the UI only ever renders the visible slice.
 */
import type { Analysis, Correlation, FlowSummary, Mechanism } from '../../correlate/model.js';
import type { TupleEnds } from './tuple-cell.js';

export type RowMechanism = Mechanism | 'unpaired';

export interface ListRow {
  kind: 'correlation' | 'flow';
  /** Correlation id, or flow id for an unpaired flow. */
  id: string;
  mechanism: RowMechanism;
  /** Tuple on the first leg (client side) and on the last leg. */
  entry: string;
  final: string;
  /** The same as endpoints, for cells too narrow for the whole tuple; null when the leg is missing. */
  entryEnds: TupleEnds | null;
  finalEnds: TupleEnds | null;
  ifaces: string[];
  /** null for unpaired flows. */
  confidence: number | null;
  packets: number;
  state: string;
  /** Seconds since the epoch of the first packet of any leg. */
  firstTs: number;
  /** Flow ids in path order (one for an unpaired flow). */
  legs: string[];
  /** Lower-case text the `/` filter searches: addresses, ports, interfaces, mechanism, HTTP path… */
  haystack: string;
}

export const SORT_KEYS = ['time', 'packets', 'confidence', 'mechanism'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export function flowIndex(analysis: Analysis): Map<string, FlowSummary> {
  const m = new Map<string, FlowSummary>();
  for (const f of analysis.flows) m.set(f.id, f);
  return m;
}

function tuple(f: FlowSummary | undefined): string {
  return f ? `${f.src} → ${f.dst}` : '?';
}

function ends(f: FlowSummary | undefined): TupleEnds | null {
  return f ? { src: f.src, dst: f.dst } : null;
}

function appWords(f: FlowSummary): string {
  const a = f.app;
  if (!a) return '';
  const parts: string[] = [];
  if (a.http) parts.push(a.http.method ?? '', a.http.path ?? '', a.http.host ?? '', a.http.status != null ? String(a.http.status) : '');
  if (a.dns) parts.push(a.dns.qname ?? '', a.dns.qtype ?? '', ...(a.dns.answers ?? []));
  if (a.tls?.sni) parts.push(a.tls.sni);
  return parts.join(' ');
}

/** `pairId`: a conversation's (../../correlate/pair-id.ts); a side's Community ID or it finds the row. */
function haystackOf(id: string, mechanism: string, legs: FlowSummary[], pairId = ''): string {
  const parts: string[] = [id, mechanism, pairId];
  for (const f of legs) parts.push(f.id, f.iface, f.proto, f.src, f.dst, f.state, appWords(f), f.communityId);
  return parts.join(' ').toLowerCase();
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

function correlationRow(c: Correlation, flows: Map<string, FlowSummary>): ListRow {
  const legs = c.legs.map((id) => flows.get(id)).filter((f): f is FlowSummary => f !== undefined);
  const first = legs[0];
  const last = legs[legs.length - 1];
  let firstTs = Infinity;
  for (const f of legs) firstTs = Math.min(firstTs, Number(f.firstTs));
  return {
    kind: 'correlation',
    id: c.id,
    mechanism: c.mechanism,
    entry: tuple(first),
    final: tuple(last),
    entryEnds: ends(first),
    finalEnds: ends(last),
    ifaces: uniq(legs.map((f) => f.iface)),
    confidence: c.confidence,
    packets: legs.reduce((n, f) => n + f.packets, 0),
    state: uniq(legs.map((f) => f.state)).join('/'),
    firstTs: Number.isFinite(firstTs) ? firstTs : 0,
    legs: c.legs.slice(),
    haystack: haystackOf(c.id, c.mechanism, legs, c.pairId),
  };
}

function flowRow(f: FlowSummary): ListRow {
  return {
    kind: 'flow',
    id: f.id,
    mechanism: 'unpaired',
    entry: tuple(f),
    final: tuple(f),
    entryEnds: ends(f),
    finalEnds: ends(f),
    ifaces: [f.iface],
    confidence: null,
    packets: f.packets,
    state: f.state,
    firstTs: Number(f.firstTs),
    legs: [f.id],
    haystack: haystackOf(f.id, 'unpaired', [f]),
  };
}

/** Correlations first (in the analysis' order), then unpaired flows. */
export function buildRows(analysis: Analysis): ListRow[] {
  const flows = flowIndex(analysis);
  const rows: ListRow[] = analysis.correlations.map((c) => correlationRow(c, flows));
  for (const id of analysis.unpaired) {
    const f = flows.get(id);
    if (f) rows.push(flowRow(f));
  }
  return rows;
}

/** Rows for flows alone, shown while the correlator has not finished. */
export function buildFlowRows(flows: FlowSummary[]): ListRow[] {
  return flows.map(flowRow);
}

/** Whitespace-separated terms, all of which must occur (case-insensitive). */
export function matchesFilter(row: ListRow, terms: string[]): boolean {
  for (const t of terms) if (!row.haystack.includes(t)) return false;
  return true;
}

export function filterTerms(filter: string): string[] {
  return filter.toLowerCase().split(/\s+/).filter((t) => t.length > 0);
}

function compare(a: ListRow, b: ListRow, key: SortKey): number {
  switch (key) {
    case 'time':
      return a.firstTs - b.firstTs;
    case 'packets':
      return b.packets - a.packets;
    case 'confidence':
      return (b.confidence ?? -1) - (a.confidence ?? -1);
    case 'mechanism':
      return a.mechanism < b.mechanism ? -1 : a.mechanism > b.mechanism ? 1 : 0;
  }
}

/** Indices into `rows` of the rows to show, filtered then sorted (stable: ties keep row order). */
/** `hidden`: ids of rows left out whatever the filter (the link-local control traffic). */
export function visibleIndices(rows: readonly ListRow[], filter: string, sort: SortKey, hidden?: ReadonlySet<string>): number[] {
  const terms = filterTerms(filter);
  const out: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (hidden !== undefined && hidden.has(rows[i].id)) continue;
    if (terms.length === 0 || matchesFilter(rows[i], terms)) out.push(i);
  }
  out.sort((x, y) => compare(rows[x], rows[y], sort) || x - y);
  return out;
}
