/**
 * Runs validated expectations against an Analysis. Each expectation and each global assertion
 * becomes one result (one line of output, one JUnit test case). An expectation's assertions must
 * hold for every conversation it selects; `count` (default "at least 1") bounds how many it selects.
 */
import type { Analysis, FlowSummary } from '../correlate/model.js';
import { countHolds, describeCount } from './count-spec.js';
import { conversationState, type Conversation, buildConversations, entryLeg, finalLeg } from './conversations.js';
import { formatDuration } from './duration.js';
import { endpointHost, endpointMatches } from './endpoint-pattern.js';
import type { InputError } from './input-errors.js';
import { parseIp, sameIp } from './ip-address.js';
import type { Expectation, ExpectationSet, GlobalAssertion, Selector } from './schema.js';
import { linkControlKindsText, type LinkControlKind } from '../flows/link-control.js';

export interface AssertionResult {
  assertion: string;
  expected: string;
  found: string;
  passed: boolean;
  /** Flows behind a failure (all legs of the offending conversations); empty when it passed. */
  flows: string[];
}

export interface CaseResult {
  /** `1`, `2`, … for expectations; `global.noUnpaired` etc. for global assertions. */
  id: string;
  kind: 'expectation' | 'global';
  /** The expectation's name, or a generated description. */
  title: string;
  line: number;
  passed: boolean;
  /**
   * Set when the expectation was not evaluated, and why (no packets were read): `passed` is
   * false, and nothing is selected or asserted. Absent when it was evaluated.
   */
  error?: string;
  /** Conversations selected (correlation or flow ids). */
  matched: string[];
  /** Flow ids of every selected conversation's legs. */
  flows: string[];
  assertions: AssertionResult[];
}

export interface CheckReport {
  file: string;
  /** Every expectation held, on captures read in full. */
  passed: boolean;
  total: number;
  failures: number;
  /** Expectations not evaluated (results with an `error`); absent when every one was. */
  notEvaluated?: number;
  /** Captures that could not be read in full, or held no packet; absent when there were none. */
  inputErrors?: InputError[];
  results: CaseResult[];
}

export interface CheckInputs {
  analysis: Analysis;
  /** TCP retransmissions per flow id (both directions), when the caller has the flow records. */
  retransmissions?: ReadonlyMap<string, number>;
  /** Link-local control flows by id, with their kind (../flows/link-control.ts): not counted by noUnpaired. */
  linkControl?: ReadonlyMap<string, LinkControlKind>;
  /** What was wrong with the captures (./input-errors.ts): any makes the report not pass. */
  inputErrors?: readonly InputError[];
}

/** Offenders listed by id in a "found" text before the rest are only counted. */
const LIST_LIMIT = 5;

export function evaluate(set: ExpectationSet, inputs: CheckInputs): CheckReport {
  const results: CaseResult[] = [];
  if (inputs.analysis.captures.every((c) => c.packets === 0)) {
    // Nothing was read: "no unpaired flow", "no userland-proxy", "count: none" would all hold,
    // and a CI job whose tcpdump recorded nothing would go green.
    for (const e of set.expectations) results.push(notEvaluated(String(e.index), 'expectation', e.name ?? describeSelector(e.match), e.pos.line));
    for (const g of set.global) results.push(notEvaluated(`global.${g.kind}`, 'global', globalTitle(g), g.pos.line));
  } else {
    const conversations = buildConversations(inputs.analysis);
    const cut = cutNote(inputs.analysis);
    for (const e of set.expectations) results.push(evaluateExpectation(e, conversations, cut));
    for (const g of set.global) results.push(evaluateGlobal(g, inputs, conversations));
  }
  const skipped = results.filter((r) => r.error !== undefined).length;
  const failures = results.filter((r) => !r.passed).length - skipped;
  const inputErrors = inputs.inputErrors ?? [];
  // The new fields only when there is something to say: a clean run's JSON stays as it was.
  return {
    file: set.file,
    passed: failures === 0 && skipped === 0 && inputErrors.length === 0,
    total: results.length,
    failures,
    ...(skipped > 0 ? { notEvaluated: skipped } : {}),
    ...(inputErrors.length > 0 ? { inputErrors: [...inputErrors] } : {}),
    results,
  };
}

const NO_PACKETS = 'not evaluated: no packets were read';

function notEvaluated(id: string, kind: CaseResult['kind'], title: string, line: number): CaseResult {
  return { id, kind, title, line, passed: false, error: NO_PACKETS, matched: [], flows: [], assertions: [] };
}

function globalTitle(g: GlobalAssertion): string {
  if (g.kind === 'noUnpaired') return g.interfaces === null ? 'no unpaired flows' : `no unpaired flows on ${g.interfaces.join(', ')}`;
  if (g.kind === 'noMechanism') return `no conversation via ${g.mechanisms.join(' or ')}`;
  return `at most ${g.max} retransmissions per conversation`;
}

export function selects(sel: Selector, c: Conversation): boolean {
  const entry = entryLeg(c);
  if (sel.to && !endpointMatches(sel.to, entry.dst)) return false;
  if (sel.from && !endpointMatches(sel.from, entry.src)) return false;
  if (sel.interface && !sel.interface.some((g) => g.re.test(entry.iface))) return false;
  if (sel.protocol && !sel.protocol.includes(entry.proto.toLowerCase())) return false;
  const app = (get: (l: FlowSummary) => string | undefined, re: RegExp): boolean =>
    c.legs.some((l) => {
      const v = get(l);
      return v !== undefined && re.test(v);
    });
  if (sel['http.path'] && !app((l) => l.app?.http?.path, sel['http.path'].re)) return false;
  if (sel['http.host'] && !app((l) => l.app?.http?.host, sel['http.host'].re)) return false;
  if (sel['http.method'] && !app((l) => l.app?.http?.method, sel['http.method'].re)) return false;
  if (sel['dns.qname'] && !app((l) => l.app?.dns?.qname?.replace(/\.$/, ''), sel['dns.qname'].re)) return false;
  if (sel['tls.sni'] && !app((l) => l.app?.tls?.sni, sel['tls.sni'].re)) return false;
  return true;
}

/** A readable description of what an expectation selects, for unnamed expectations. */
export function describeSelector(sel: Selector): string {
  const parts: string[] = [];
  if (sel.protocol) parts.push(sel.protocol.join('/'));
  if (sel.from) parts.push(`from ${sel.from.text}`);
  if (sel.to) parts.push(`to ${sel.to.text}`);
  if (sel.interface) parts.push(`on ${sel.interface.map((g) => g.text).join('/')}`);
  for (const k of APP_SELECTORS) {
    const g = sel[k];
    if (g) parts.push(`${k} ${g.text}`);
  }
  return parts.length > 0 ? parts.join(' ') : 'every conversation';
}

const APP_SELECTORS = ['http.method', 'http.host', 'http.path', 'dns.qname', 'tls.sni'] as const;

/**
 * Why application selectors may find nothing in a headers-only capture (tcpdump -s 96): said
 * next to a count they failed, so a CI log does not read as a missing request. Null when no
 * capture cut a packet.
 */
function cutNote(a: Analysis): string | null {
  const cut = a.captures.filter((c) => c.packetsCut > 0);
  if (cut.length === 0) return null;
  const lens = [...new Set(cut.map((c) => c.snaplen).filter((n): n is number => n !== null))].sort((x, y) => x - y);
  return `the capture cut packets short${lens.length > 0 ? ` (snaplen ${lens.join(', ')})` : ''}: application fields past the kept bytes are unknown`;
}

function evaluateExpectation(e: Expectation, all: Conversation[], cut: string | null): CaseResult {
  const selected = all.filter((c) => selects(e.match, c));
  const flows = uniq(selected.flatMap((c) => c.legs.map((l) => l.id)));
  const assertions: AssertionResult[] = [];
  const x = e.expect;
  const count = x.count ?? { min: 1, max: null };
  const countOk = countHolds(count, selected.length);
  const appSelected = cut !== null && APP_SELECTORS.some((k) => e.match[k] !== undefined);
  assertions.push({
    assertion: 'count',
    expected: describeCount(count),
    found: `${countOk || selected.length === 0 ? String(selected.length) : `${selected.length} (${listIds(selected.map((c) => c.id))})`}${!countOk && appSelected ? ` (${cut})` : ''}`,
    passed: countOk,
    flows: countOk ? [] : flows,
  });
  if (x.via) {
    const via = x.via;
    assertions.push(
      // An unpaired flow is `none` in the mechanism vocabulary (analyze --mechanism none too).
      perConversation('via', via.join(' or '), selected, (c) => ({ ok: via.includes(c.mechanism ?? 'none'), found: c.mechanism ?? 'none (no counterpart)' })),
    );
  }
  if (x.reaches) {
    const p = x.reaches;
    assertions.push(perConversation('reaches', p.text, selected, (c) => ({ ok: endpointMatches(p, finalLeg(c).dst), found: finalLeg(c).dst })));
  }
  if (x.clientIpPreserved !== undefined) {
    const want = x.clientIpPreserved;
    assertions.push(
      perConversation('clientIpPreserved', String(want), selected, (c) => {
        const client = endpointHost(entryLeg(c).src);
        const server = endpointHost(finalLeg(c).src);
        const a = parseIp(client);
        const b = parseIp(server);
        const preserved = a !== null && b !== null ? sameIp(a, b) : client === server;
        return { ok: preserved === want, found: String(preserved), detail: preserved ? `server sees ${server}` : `client ${client}, server sees ${server}` };
      }),
    );
  }
  if (x.minConfidence !== undefined) {
    const min = x.minConfidence;
    assertions.push(
      perConversation('minConfidence', `≥ ${min}`, selected, (c) =>
        c.confidence === null ? { ok: false, found: 'not correlated' } : { ok: c.confidence >= min, found: c.confidence.toFixed(2) },
      ),
    );
  }
  if (x.maxLatency !== undefined) {
    const max = x.maxLatency;
    assertions.push(
      perConversation('maxLatency', `≤ ${formatDuration(max)} per hop`, selected, (c) => {
        let worst: number | null = null;
        for (const h of c.hops) {
          // A hop whose latency cannot be measured cannot be shown to be fast enough.
          if (h.latency === null) return { ok: false, found: `hop ${h.from}→${h.to} not measurable` };
          if (worst === null || h.latency > worst) worst = h.latency;
        }
        return worst === null ? { ok: true, found: 'no hop' } : { ok: worst <= max, found: formatDuration(worst) };
      }),
    );
  }
  if (x.state) {
    const want = x.state;
    assertions.push(
      perConversation('state', want.join(' or '), selected, (c) => {
        const s = conversationState(c);
        return { ok: (want as string[]).includes(s), found: s, detail: c.legs.map((l) => `${l.id} ${l.state}`).join(', ') };
      }),
    );
  }
  return {
    id: String(e.index),
    kind: 'expectation',
    title: e.name ?? describeSelector(e.match),
    line: e.pos.line,
    passed: assertions.every((a) => a.passed),
    matched: selected.map((c) => c.id),
    flows,
    assertions,
  };
}

/** An assertion that must hold for each selected conversation; `found` lists the offenders. */
function perConversation(
  name: string,
  expected: string,
  selected: Conversation[],
  test: (c: Conversation) => { ok: boolean; found: string; detail?: string },
): AssertionResult {
  const bad: { c: Conversation; found: string }[] = [];
  const seen = new Set<string>();
  for (const c of selected) {
    const r = test(c);
    if (r.ok) seen.add(r.found);
    else bad.push({ c, found: r.detail ? `${r.found} (${r.detail})` : r.found });
  }
  if (bad.length === 0) {
    const shown = [...seen].slice(0, LIST_LIMIT).join(', ');
    return { assertion: name, expected, found: selected.length === 0 ? 'nothing selected' : shown, passed: true, flows: [] };
  }
  const shown = bad.slice(0, LIST_LIMIT).map((b) => `${b.found} in ${b.c.id} [${b.c.legs.map((l) => l.id).join('→')}]`);
  if (bad.length > LIST_LIMIT) shown.push(`and ${bad.length - LIST_LIMIT} more`);
  return {
    assertion: name,
    expected,
    found: `${shown.join('; ')} (${bad.length} of ${selected.length})`,
    passed: false,
    flows: uniq(bad.flatMap((b) => b.c.legs.map((l) => l.id))),
  };
}

function evaluateGlobal(g: GlobalAssertion, inputs: CheckInputs, conversations: Conversation[]): CaseResult {
  const a = inputs.analysis;
  const flowById = new Map(a.flows.map((f) => [f.id, f]));
  let result: AssertionResult;
  let title: string;
  let matched: string[] = [];
  if (g.kind === 'noUnpaired') {
    const ifaces = g.interfaces;
    const control = inputs.linkControl;
    let skipped = 0;
    const kinds: (LinkControlKind | undefined)[] = [];
    const bad = a.unpaired.filter((id) => {
      if (ifaces !== null) {
        const f = flowById.get(id);
        if (f === undefined || !ifaces.includes(f.iface)) return false;
      }
      // Neighbor discovery, MLD and IGMP are on every link and never paired: not a finding.
      if (control?.has(id)) {
        skipped++;
        kinds.push(control.get(id));
        return false;
      }
      return true;
    });
    title = globalTitle(g);
    matched = bad;
    // Named by the kinds skipped here, not every kind there is.
    const kindsText = linkControlKindsText(kinds);
    const controlNote = skipped > 0 ? ` (${skipped} link-local control flow${skipped === 1 ? '' : 's'} not counted${kindsText === '' ? '' : `: ${kindsText}`})` : '';
    result = {
      assertion: 'noUnpaired',
      expected: 'no unpaired flow',
      found: bad.length === 0 ? `none${controlNote}` : `${bad.length} unpaired: ${listIds(bad.map((id) => describeFlow(id, flowById.get(id))))}${controlNote}`,
      passed: bad.length === 0,
      flows: bad,
    };
  } else if (g.kind === 'noMechanism') {
    const bad = conversations.filter((c) => c.mechanism !== null && g.mechanisms.includes(c.mechanism));
    title = globalTitle(g);
    matched = bad.map((c) => c.id);
    result = {
      assertion: 'noMechanism',
      expected: `no ${g.mechanisms.join(' or ')}`,
      found: bad.length === 0 ? 'none' : `${bad.length}: ${listIds(bad.map((c) => `${c.id} ${c.mechanism} ${entryLeg(c).src} → ${entryLeg(c).dst}`))}`,
      passed: bad.length === 0,
      flows: uniq(bad.flatMap((c) => c.legs.map((l) => l.id))),
    };
  } else {
    title = globalTitle(g);
    const rt = inputs.retransmissions;
    if (!rt) {
      result = { assertion: 'maxRetransmissions', expected: `≤ ${g.max}`, found: 'retransmission counts not available', passed: false, flows: [] };
    } else {
      // The same retransmitted segment shows on every interface it crosses: count it once.
      const per = conversations.map((c) => ({ c, n: Math.max(0, ...c.legs.map((l) => rt.get(l.id) ?? 0)) }));
      const bad = per.filter((p) => p.n > g.max).sort((x, y) => y.n - x.n);
      const worst = per.reduce((m, p) => Math.max(m, p.n), 0);
      matched = bad.map((b) => b.c.id);
      result = {
        assertion: 'maxRetransmissions',
        expected: `≤ ${g.max}`,
        found: bad.length === 0 ? `at most ${worst}` : listIds(bad.map((b) => `${b.n} in ${b.c.id} [${b.c.legs.map((l) => l.id).join('→')}]`)),
        passed: bad.length === 0,
        flows: uniq(bad.flatMap((b) => b.c.legs.map((l) => l.id))),
      };
    }
  }
  return { id: `global.${g.kind}`, kind: 'global', title, line: g.pos.line, passed: result.passed, matched, flows: result.flows, assertions: [result] };
}

function describeFlow(id: string, f: FlowSummary | undefined): string {
  return f ? `${id} ${f.iface} ${f.proto} ${f.src} → ${f.dst}` : id;
}

function listIds(ids: string[]): string {
  const head = ids.slice(0, LIST_LIMIT).join(', ');
  return ids.length > LIST_LIMIT ? `${head}, and ${ids.length - LIST_LIMIT} more` : head;
}

function uniq(ids: string[]): string[] {
  return [...new Set(ids)];
}
