/** Reads the lab's truth.json (captures/README.md) and finds the flows each truth leg names. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Flow } from '../../src/flows/flow.js';
import type { Analysis, Correlation } from '../../src/correlate/model.js';
import type { AnalyzeResult } from '../../src/correlate/analyze.js';
import { capturesDir } from '../helpers/paths.js';
import { readScenarioJson, scenarioNames } from '../helpers/scenario-dir.js';
import type { Truth, TruthConversation, TruthIcmpError, TruthIcmpErrorLeg, TruthTuple } from '../helpers/truth.js';

export type { TruthConversation };

export interface Scenario {
  name: string;
  dir: string;
  conversations: TruthConversation[];
  perInterface: Record<string, string>;
  any: string | null;
  pcapng: string | null;
  /** The snaplen it was recorded with (record.sh --snaplen), null for whole packets. */
  snaplen: number | null;
}

/**
 * The whole-packet scenarios by their number ('01', '05b', …). Headers-only recordings of the
 * same scenario (`--snaplen96`) are left out: they share the number, not the bytes.
 */
export function scenariosByNumber(): Map<string, Scenario> {
  return new Map(scenarios().filter((s) => s.snaplen === null).map((s) => [s.name.replace(/-.*/, ''), s]));
}

/**
 * Whether the `-i any` capture of a headers-only recording lost the TCP flags of an IPv6
 * conversation: behind a 20-byte SLL2 header and a 40-byte IPv6 header, a snaplen under 74 leaves
 * less than the 14 bytes of TCP that hold them. Such a capture cannot show a handshake.
 */
export function anyCaptureLacksTcpFlags(s: Scenario): boolean {
  if (s.snaplen === null || s.snaplen >= 20 + 40 + 14) return false;
  return s.conversations.some((c) => c.legs.some((l) => l.tuple.proto === 'tcp' && l.tuple.src.includes(':')));
}

type Meta = { captures?: { perInterface?: Record<string, string>; any?: string; pcapng?: string } };

/** Every scenario under captures/ that has a truth.json. */
export function scenarios(): Scenario[] {
  const out: Scenario[] = [];
  for (const name of scenarioNames()) {
    const dir = join(capturesDir, name);
    const truth = readScenarioJson<Truth>(name, 'truth.json');
    const meta = existsSync(join(dir, 'meta.json')) ? readScenarioJson<Meta>(name, 'meta.json') : ({} as Meta);
    const per = meta.captures?.perInterface ?? {};
    const perInterface: Record<string, string> = {};
    for (const [iface, file] of Object.entries(per)) if (existsSync(join(dir, file))) perInterface[iface] = join(dir, file);
    const any = meta.captures?.any && existsSync(join(dir, meta.captures.any)) ? join(dir, meta.captures.any) : null;
    const pcapng = meta.captures?.pcapng && existsSync(join(dir, meta.captures.pcapng)) ? join(dir, meta.captures.pcapng) : null;
    out.push({ name, dir, conversations: truth.conversations, perInterface, any, pcapng, snaplen: truth.snaplen ?? null });
  }
  return out;
}

function protoNum(p: string): number {
  return p === 'tcp' ? 6 : p === 'udp' ? 17 : p === 'icmp' ? 1 : p === 'icmpv6' ? 58 : -1;
}

export function flowMatches(f: Flow, t: TruthTuple): boolean {
  if (f.proto !== protoNum(t.proto)) return false;
  if (f.proto === 1 || f.proto === 58) {
    const ips = (f.src.ip === t.src && f.dst.ip === t.dst) || (f.src.ip === t.dst && f.dst.ip === t.src);
    return ips && f.icmp?.echoId === t.icmpId;
  }
  const fwd = f.src.ip === t.src && f.src.port === t.sport && f.dst.ip === t.dst && f.dst.port === t.dport;
  const rev = f.src.ip === t.dst && f.src.port === t.dport && f.dst.ip === t.src && f.dst.port === t.sport;
  return fwd || rev;
}

/** An ICMP error flow showing this copy of the error (outer addresses, type/code, quoted tuple). */
export function errorFlowMatches(f: Flow, e: TruthIcmpError, leg: TruthIcmpErrorLeg): boolean {
  const i = f.icmp;
  if (f.proto !== 1 || !i?.inner || i.type !== e.type || i.code !== e.code) return false;
  if (f.src.ip !== leg.src || f.dst.ip !== leg.dst) return false;
  const q = leg.quoted;
  return i.inner.proto === protoNum(q.proto) && i.inner.src.ip === q.src && i.inner.src.port === q.sport && i.inner.dst.ip === q.dst && i.inner.dst.port === q.dport;
}

/** Flow ids of one truth ICMP error on the interfaces present, and the (leg, interface) pairs with no flow. */
export function expectedErrorFlows(e: TruthIcmpError, flows: readonly Flow[], present: ReadonlySet<string>): { ids: Set<string>; missing: string[] } {
  const ids = new Set<string>();
  const missing: string[] = [];
  for (const leg of e.legs) {
    for (const iface of leg.interfaces) {
      if (!present.has(iface)) continue;
      const hits = flows.filter((f) => f.iface === iface && errorFlowMatches(f, e, leg));
      if (hits.length === 0) missing.push(`icmp-error quoting ${leg.quotes}@${iface}`);
      for (const h of hits) ids.add(h.id);
    }
  }
  return { ids, missing };
}

/**
 * Flow ids a truth conversation names on the interfaces present in this run, and the
 * (leg, interface) pairs for which no flow was found.
 */
export function expectedFlows(c: TruthConversation, flows: readonly Flow[], present: ReadonlySet<string>): { ids: Set<string>; missing: string[] } {
  const ids = new Set<string>();
  const missing: string[] = [];
  for (const leg of c.legs) {
    for (const iface of leg.interfaces) {
      if (!present.has(iface)) continue;
      const tuples = [leg.tuple, ...(leg.replies?.[iface] ?? [])];
      const hits = flows.filter((f) => f.iface === iface && tuples.some((t) => flowMatches(f, t)));
      if (hits.length === 0) missing.push(`${leg.role}@${iface}`);
      for (const h of hits) ids.add(h.id);
    }
  }
  return { ids, missing };
}

/** The correlation holding a leg of the truth conversation, among the interfaces the run read. */
export function correlationOfTruth(r: AnalyzeResult, t: TruthConversation): Correlation {
  const present = new Set(r.analysis.captures.flatMap((c) => c.interfaces));
  const { ids } = expectedFlows(t, r.flows, present);
  const c = r.analysis.correlations.find((x) => x.legs.some((l) => ids.has(l)));
  if (!c) throw new Error(`${t.id}: no correlation`);
  return c;
}

/** Checks one run against the truth; returns human-readable failures (empty = all good). */
export function checkAgainstTruth(s: Scenario, a: Analysis, flows: readonly Flow[], present: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const expected = s.conversations.map((c) => ({ c, ...expectedFlows(c, flows, present) }));
  const owner = new Map<string, string>();
  for (const e of expected) for (const id of e.ids) owner.set(id, e.c.id);
  for (const e of expected) {
    if (e.missing.length > 0) problems.push(`${e.c.id}: no flow for ${e.missing.join(', ')}`);
    if (e.ids.size === 0) continue;
    const holding = a.correlations.filter((c) => c.legs.some((l) => e.ids.has(l)));
    if (e.c.mechanism === 'none') {
      for (const c of holding) if (c.mechanism !== 'none') problems.push(`${e.c.id}: expected no counterpart, got ${c.id} (${c.mechanism})`);
      continue;
    }
    if (holding.length !== 1) {
      problems.push(`${e.c.id}: legs spread over ${holding.length} correlations (${holding.map((c) => c.id).join(', ') || 'none'})`);
      continue;
    }
    const c = holding[0];
    // A capture point recorded in two files is one leg; the other file's flow is listed as a copy.
    const copies = new Set((c.copies ?? []).map((x) => x.flow));
    const absent = [...e.ids].filter((id) => !c.legs.includes(id) && !copies.has(id));
    if (absent.length > 0) problems.push(`${e.c.id}: ${c.id} lacks ${absent.join(', ')}`);
    if (c.mechanism !== e.c.mechanism) problems.push(`${e.c.id}: mechanism ${c.mechanism}, truth ${e.c.mechanism}`);
    const foreign = c.legs.filter((l) => owner.has(l) && owner.get(l) !== e.c.id);
    if (foreign.length > 0) problems.push(`${e.c.id}: ${c.id} also holds ${foreign.map((l) => `${l} (${owner.get(l)})`).join(', ')}`);
    problems.push(...checkIcmpErrors(e.c, c, a, flows, present));
  }
  return problems;
}

/**
 * Each truth ICMP error is one report of the conversation's correlation holding every copy of
 * it (as a capture point or a repeat from another file), each quoting the leg on its interface;
 * and no error flow stands alone or in another correlation.
 */
function checkIcmpErrors(t: TruthConversation, c: Analysis['correlations'][number], a: Analysis, flows: readonly Flow[], present: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const reports = c.icmpErrors ?? [];
  const truthErrors = (t.icmpErrors ?? []).filter((e) => e.legs.some((l) => l.interfaces.some((i) => present.has(i))));
  if (reports.length !== truthErrors.length) problems.push(`${t.id}: ${c.id} has ${reports.length} ICMP error reports, truth ${truthErrors.length}`);
  const byId = new Map(flows.map((f) => [f.id, f]));
  for (const e of truthErrors) {
    const { ids, missing } = expectedErrorFlows(e, flows, present);
    if (missing.length > 0) problems.push(`${t.id}: no flow for ${missing.join(', ')}`);
    const r = reports.find((x) => x.flows.some((id) => ids.has(id)));
    if (!r) {
      problems.push(`${t.id}: ICMP error ${e.type}/${e.code} not attached to ${c.id}`);
      continue;
    }
    const held = new Set([...r.flows, ...r.copies.map((x) => x.flow)]);
    const absent = [...ids].filter((id) => !held.has(id));
    if (absent.length > 0) problems.push(`${t.id}: ${c.id}'s ICMP error lacks ${absent.join(', ')}`);
    if ([r.type, r.code].join('/') !== [e.type, e.code].join('/')) problems.push(`${t.id}: ICMP error type/code ${r.type}/${r.code}, truth ${e.type}/${e.code}`);
    r.flows.forEach((id, i) => {
      const f = byId.get(id);
      const q = byId.get(r.quotes[i]);
      if (!f || !q || !c.legs.includes(q.id) || q.iface !== f.iface) problems.push(`${t.id}: ${id} quotes ${r.quotes[i]}, not a leg on ${f?.iface}`);
    });
    const elsewhere = a.correlations.filter((x) => x !== c && x.legs.some((l) => ids.has(l)));
    if (elsewhere.length > 0) problems.push(`${t.id}: ICMP error flows also in ${elsewhere.map((x) => x.id).join(', ')}`);
    const unpaired = a.unpaired.filter((id) => ids.has(id));
    if (unpaired.length > 0) problems.push(`${t.id}: ICMP error flows left unpaired: ${unpaired.join(', ')}`);
  }
  return problems;
}
