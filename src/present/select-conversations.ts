/**
 * `natflow analyze --match ENDPOINT --mechanism LIST`: the conversations and unpaired flows a user
 * asked about, as an Analysis the presenters print unchanged. On a capture of thousands of
 * conversations "where did my packet to 172.17.0.2:5000 go?" is one of them; the summary still
 * describes the whole capture and says how many were kept.
 */
import type { Flow } from '../flows/flow.js';
import { MECHANISMS, type Analysis, type Correlation, type FlowSummary, type Mechanism } from '../correlate/model.js';
import { defineFlowSummaries } from '../correlate/flow-summaries.js';
import { defineLazy } from '../correlate/lazy-field.js';
import { addressMatches, parseEndpointPattern, type EndpointPattern } from '../check/endpoint-pattern.js';

/**
 * A flow's Community ID (`1:…`, as Zeek, Suricata and tshark log each side of a NATed
 * conversation) or natflow's pair id (`nf1:…`, ../correlate/pair-id.ts): from an alert about one
 * side to the whole conversation.
 */
export interface IdPattern {
  text: string;
  kind: 'community-id' | 'pair-id';
}

export type MatchPattern = EndpointPattern | IdPattern;

const COMMUNITY_ID = /^1:[A-Za-z0-9+/]{27}=$/;
const PAIR_ID = /^nf1:[A-Za-z0-9+/]{27}=$/;

/** A --match selector: an endpoint (check's syntax), a Community ID or a pair id; or what is wrong with it. */
export function parseMatchPattern(text: string): MatchPattern | string {
  const t = text.trim();
  // Both have exactly this shape; an IPv6 address never ends in '=' after 27 base64 characters.
  if (COMMUNITY_ID.test(t)) return { text: t, kind: 'community-id' };
  if (PAIR_ID.test(t)) return { text: t, kind: 'pair-id' };
  return parseEndpointPattern(text);
}

export function isIdPattern(p: MatchPattern): p is IdPattern {
  return 'kind' in p;
}

export interface ConversationSelection {
  /**
   * Each pattern must hold: an endpoint is the source or destination of at least one leg, a
   * Community ID is one leg's, a pair id is the conversation's.
   */
  match: MatchPattern[];
  /** null: any mechanism; 'none' selects unpaired flows. */
  mechanisms: readonly Mechanism[] | null;
}

/** What was selected, as the JSON document reports it. */
export interface SelectionReport {
  match: string[];
  mechanism: Mechanism[] | null;
  conversations: { shown: number; total: number };
  unpaired: { shown: number; total: number };
}

export type SelectedAnalysis = Analysis & { selection: SelectionReport };

/** The selection, or a message saying which argument is wrong. */
export function parseSelection(match: readonly string[], mechanism: string | undefined): ConversationSelection | string {
  const patterns: MatchPattern[] = [];
  for (const m of match) {
    const p = parseMatchPattern(m);
    if (typeof p === 'string') return `--match: ${p}`;
    patterns.push(p);
  }
  let mechanisms: Mechanism[] | null = null;
  if (mechanism !== undefined) {
    mechanisms = [];
    for (const word of mechanism.split(',').map((w) => w.trim()).filter((w) => w !== '')) {
      const m = MECHANISMS.find((x) => x === word);
      if (m === undefined) return `--mechanism: unknown mechanism '${word}' (one of ${MECHANISMS.join(', ')}; none = unpaired flows)`;
      if (!mechanisms.includes(m)) mechanisms.push(m);
    }
    if (mechanisms.length === 0) return '--mechanism: give at least one mechanism';
  }
  return { match: patterns, mechanisms };
}

export function isEmptySelection(s: ConversationSelection): boolean {
  return s.match.length === 0 && s.mechanisms === null;
}

/** Flow ids a correlation names (legs, copies, ICMP errors): the JSON's `flows` keeps all of them. */
function referencedFlows(c: Correlation, into: Set<string>): void {
  for (const id of c.legs) into.add(id);
  for (const x of c.copies) into.add(x.flow).add(x.sameAs);
  for (const e of c.icmpErrors ?? []) {
    for (const id of e.flows) into.add(id);
    for (const id of e.quotes) into.add(id);
    for (const x of e.copies) into.add(x.flow).add(x.sameAs);
  }
}

/** Whether the flow's source or destination matches the pattern (ICMP flows have no port). */
export function flowTouches(f: Flow, p: EndpointPattern): boolean {
  return addressMatches(p, f.src.ip, f.src.port >= 0 ? f.src.port : null) || addressMatches(p, f.dst.ip, f.dst.port >= 0 ? f.dst.port : null);
}

/** Whether the flow is from or to the endpoint, or has the Community ID (a pair id names no single flow). */
export function flowMatches(f: Flow, p: MatchPattern): boolean {
  return isIdPattern(p) ? p.kind === 'community-id' && f.communityId === p.text : flowTouches(f, p);
}

export function selectConversations(a: Analysis, flowsById: ReadonlyMap<string, Flow>, sel: ConversationSelection): SelectedAnalysis {
  const touches = (id: string, p: MatchPattern): boolean => {
    const f = flowsById.get(id);
    return f !== undefined && flowMatches(f, p);
  };
  // A pair id names a conversation (an unpaired flow has none); the rest hold for one of its legs.
  const matchesAll = (ids: readonly string[], c: Correlation | null): boolean =>
    sel.match.every((p) => (isIdPattern(p) && p.kind === 'pair-id' ? c !== null && c.pairId === p.text : ids.some((id) => touches(id, p))));
  const wants = (m: Mechanism): boolean => sel.mechanisms === null || sel.mechanisms.includes(m);
  const correlations = a.correlations.filter((c) => wants(c.mechanism) && matchesAll(c.legs, c));
  const unpaired = wants('none') ? a.unpaired.filter((id) => matchesAll([id], null)) : [];
  const selection: SelectionReport = {
    match: sel.match.map((p) => p.text),
    mechanism: sel.mechanisms === null ? null : [...sel.mechanisms],
    conversations: { shown: correlations.length, total: a.correlations.length },
    unpaired: { shown: unpaired.length, total: a.unpaired.length },
  };
  // Fields in the model's order (the JSON is written in it); flows and summary are filled on first read.
  const out: SelectedAnalysis = { version: a.version, captures: a.captures, flows: [], correlations, unpaired, summary: '', inferences: a.inferences, selection };
  defineFlowSummaries(out, () => {
    const keep = new Set<string>(unpaired);
    for (const c of correlations) referencedFlows(c, keep);
    // In the analysis' flow order; only the kept flows are summarized.
    const flows: Flow[] = [];
    for (const [id, f] of flowsById) if (keep.has(id)) flows.push(f);
    return flows;
  });
  defineLazy(out, 'summary', () => `${a.summary} ${shownSentence(selection)}`);
  return out;
}

/** The selection as the options that made it: `--match 172.17.0.2:5000 --mechanism dnat`. */
export function selectionArgs(s: SelectionReport): string {
  return [...s.match.map((m) => `--match ${m}`), ...(s.mechanism === null ? [] : [`--mechanism ${s.mechanism.join(',')}`])].join(' ');
}

function shownSentence(s: SelectionReport): string {
  const count = (shown: number, total: number, one: string, many: string): string => `${shown} of ${total} ${total === 1 ? one : many}`;
  const what = selectionArgs(s);
  // Counted as listed below: correlations (background noise included), then unpaired flows.
  const parts: string[] = [];
  if (s.conversations.total > 0 || s.unpaired.total === 0) parts.push(count(s.conversations.shown, s.conversations.total, 'correlation', 'correlations'));
  if (s.unpaired.total > 0) parts.push(count(s.unpaired.shown, s.unpaired.total, 'unpaired flow', 'unpaired flows'));
  return `Shown below: ${parts.join(' and ')}, those selected by ${what}.`;
}
