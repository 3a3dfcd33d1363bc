/**
 * Optional side evidence: `--rules` attributes each kernel rewrite to the rule that did it and
 * flags contradictions; `--conntrack` corroborates pairs. Both go through the rules module
 * (./rules/, a colleague's); without them, the inferences say what came from the capture alone.
 */
import type { ConntrackFile, RulesFile } from './side-files.js';
import { LOCAL_DNAT_NOTE, NAT_OUTSIDE_NOTE, type Analysis, type Correlation } from './model.js';
import { hopMechanismsOf } from './lazy-correlation.js';
import { localDnatFindings, type LocalDnatFindings } from './local-dnat.js';
import {
  attributeRule, corroborate, ruleRefsText, familyGapText, findContradictions, ipVersion, mergeConntrack, mergeRuleSets, rulesLackVersion, rulesReadText,
  type ConntrackEntry, type CorroborateOptions, type HopToAttribute, type HopTuple, type IpVersion, type RuleSet,
} from './rules/index.js';

/**
 * Each option may be given several files: an iptables-save and an ip6tables-save dump, `conntrack
 * -L` and `conntrack -L -f ipv6`. They are read as one ruleset / one table, every rule keeping
 * the file and line it came from.
 */
export interface SideInputs {
  rules?: readonly RulesFile[] | null;
  conntrack?: readonly ConntrackFile[] | null;
  /** Paths of dumps a capture directory holds, named where the option was not given. */
  beside?: { rules: readonly string[]; conntrack: readonly string[] };
}

const KERNEL = new Set(['dnat', 'snat', 'dnat+snat']);

/** What the side inputs hold as parsed (null when not given), for the explanations' own walks and look-ups. */
export interface ParsedSideInputs {
  rules: RuleSet | null;
  conntrack: ConntrackEntry[] | null;
}

export function applySideInputs(a: Analysis, hopTuples: (c: Correlation) => HopToAttribute[], side: SideInputs, seenDstPorts: Iterable<number>): ParsedSideInputs {
  const rules = side.rules ?? [];
  const conntrack = side.conntrack ?? [];
  const set: RuleSet | null = rules.length > 0 ? mergeRuleSets(rules.map((r) => r.set)) : null;
  const entries: ConntrackEntry[] | null = conntrack.length > 0 ? mergeConntrack(conntrack.map((c) => c.entries)) : null;
  // DNAT in nat OUTPUT inferred from the bridge side alone: the rewrite is on no hop, so the side
  // inputs are asked about it here (./local-dnat.ts).
  const local = new Map<Correlation, LocalDnatFindings>();
  if (set !== null || entries !== null) {
    for (const c of a.correlations) {
      if (!c.notes.some((n) => n.startsWith(LOCAL_DNAT_NOTE))) continue;
      const t = hopTuples(c)[0];
      if (t === undefined) continue;
      const found = localDnatFindings(t.before, entries, set);
      local.set(c, found);
      c.evidence.push(...found.evidence);
      if (found.contradiction !== null) {
        c.notes.push(`conntrack contradicts this hop: ${found.contradiction}`);
        c.confidence = Math.round(Math.max(0, c.confidence - 0.2) * 100) / 100;
      }
    }
  }
  if (set !== null) {
    applyRules(a, hopTuples, set, sourcesText(rules), local, seenDstPorts);
  } else {
    // Hop mechanisms without writing the hops (they are written when a presenter reads them).
    const kinds = new Set<string>();
    for (const c of a.correlations) for (const m of hopMechanismsOf(c)) if (KERNEL.has(m)) kinds.add(m);
    a.inferences.push(
      `no --rules given: ${kinds.size > 0 ? `the ${[...kinds].join(', ')} rewrites were` : 'mechanisms were'} inferred from the capture alone (which tuple fields changed between capture points, which fields were preserved), not attributed to a rule${besideText(side.beside?.rules ?? [], '--rules', kinds.size > 0 ? 'names the rule behind each rewrite' : 'checks the capture against the rules')}`,
    );
  }
  if (entries !== null) {
    let confirmed = 0;
    let contradicted = 0;
    let absent = 0;
    let absentRefused = 0;
    let oneConnection = 0;
    for (const f of local.values()) {
      if (f.contradiction !== null) contradicted++;
      else if (f.original !== null) confirmed++;
      else absent++;
    }
    const stateOf = new Map(a.flows.map((f) => [f.id, f.state]));
    for (const c of a.correlations) {
      if (local.has(c)) continue;
      const refused = c.legs.some((id) => stateOf.get(id) === 'rejected');
      const tuples = hopTuples(c);
      // Kernel NAT is one conntrack entry for the whole path: compare the tuple on the first leg
      // with the one on the last (a middle copy, e.g. between DNAT and hairpin MASQUERADE, is
      // neither the original nor the reply direction). A proxy leaves one entry per connection.
      // `hops`: the rewrites one check stands for. A hairpin's DNAT and MASQUERADE are two hops of
      // one entry: counted as two, as the --rules line counts them.
      const checks: { hop: HopToAttribute; opts: CorroborateOptions; hops: number }[] = [];
      if (KERNEL.has(c.mechanism) && tuples.length > 0) {
        const hops = Math.max(1, hopMechanismsOf(c).filter((m) => KERNEL.has(m)).length);
        checks.push({ hop: { ...tuples[0], mechanism: c.mechanism, after: tuples[tuples.length - 1].after, egressIface: tuples[tuples.length - 1].egressIface }, opts: {}, hops });
      } else if (c.mechanism === 'bridge' && tuples.length > 0) {
        // Only to learn of NAT before the first capture point or after the last (rules/conntrack.ts):
        // a bridge whose entry shows no translation is not worth a line, nor counted.
        const v = corroborate(entries, { ...tuples[0], mechanism: 'bridge', after: tuples[tuples.length - 1].after });
        if (v.natBeforeCapture === true || v.natAfterCapture === true) {
          c.evidence.push(v.evidence);
          c.notes.push(`${NAT_OUTSIDE_NOTE}: ${v.natBeforeCapture === true ? `opened as ${v.evidence.values?.[0]}` : `its replies are expected as ${v.evidence.values?.[1]}`}`);
          confirmed++;
        }
      } else if (c.mechanism === 'userland-proxy') {
        c.hops.forEach((h, i) => {
          // Only the upstream's refusal explains a missing entry: the proxy accepted the client's.
          if (h.mechanism === 'userland-proxy' && tuples[i]) checks.push({ hop: tuples[i], opts: { upstreamRefused: stateOf.get(h.to) === 'rejected' }, hops: 1 });
        });
      }
      checks.forEach(({ hop, opts, hops }) => {
        const v = corroborate(entries, hop, opts);
        if (v.verdict === 'absent') {
          absent += hops;
          if (refused) absentRefused += hops;
          return;
        }
        c.evidence.push(v.evidence);
        if (v.verdict === 'confirms') {
          confirmed += hops;
          if (v.oneConnection === true) oneConnection++;
        } else {
          contradicted += hops;
          c.notes.push(`conntrack contradicts this hop: ${v.evidence.detail}`);
          c.confidence = Math.round(Math.max(0, c.confidence - 0.2) * 100) / 100;
        }
      });
    }
    a.inferences.push(conntrackSummary(sourcesText(conntrack), entries.length, entries.filter((e) => e.event !== null).length, { confirmed, oneConnection, contradicted, absent, absentRefused }));
  } else {
    a.inferences.push(`no --conntrack given: pairs rest on packet evidence only${besideText(side.beside?.conntrack ?? [], '--conntrack', "checks them against the kernel's connection table")}`);
  }
  return { rules: set, conntrack: entries };
}

/** `; dir/iptables-save.txt is beside the captures: \`--rules dir/iptables-save.txt\` names …`. */
function besideText(paths: readonly string[], option: string, does: string): string {
  if (paths.length === 0) return '';
  const args = paths.map((p) => `${option} ${shellWord(p)}`).join(' ');
  return `; ${paths.join(' and ')} ${paths.length === 1 ? 'is' : 'are'} beside the captures: \`${args}\` ${does}`;
}

/** A path as one shell word: quoted only when it needs to be. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function sourcesText(files: readonly { source: string }[]): string {
  return files.map((f) => f.source).join(', ');
}

interface ConntrackCounts {
  confirmed: number;
  /** Of the confirmed, proxy hops whose other connection is not in the dump. */
  oneConnection: number;
  contradicted: number;
  absent: number;
  /** Of the absent, refused connections. */
  absentRefused: number;
}

function conntrackSummary(source: string, entries: number, fromEvents: number, n: ConntrackCounts): string {
  const half = n.oneConnection > 0 ? ` (${n.oneConnection} of them by one of the proxy's two connections, the other not in the dump)` : '';
  const refused = n.absentRefused > 0 ? ` (${n.absentRefused} of them refused with RST: the kernel drops such entries at once, so a dump taken afterwards cannot show them; \`conntrack -E\` recorded during the capture does)` : '';
  const events = fromEvents === 0 ? '' : fromEvents === entries ? ' (from conntrack -E events)' : ` (${fromEvents} from conntrack -E events)`;
  return `--conntrack ${source}: ${entries} entr${entries === 1 ? 'y' : 'ies'}${events}; ${n.confirmed} hop(s) confirmed${half}, ${n.contradicted} contradicted, ${n.absent} not in the dump${refused}`;
}

/** Attributes every kernel rewrite to a rule, and says what the rules read cannot explain. */
function applyRules(
  a: Analysis, hopTuples: (c: Correlation) => HopToAttribute[], set: RuleSet, source: string,
  local: ReadonlyMap<Correlation, LocalDnatFindings>, seenDstPorts: Iterable<number>,
): void {
  const kernelHops: HopToAttribute[] = [];
  // Rewrites of a family the rules hold nothing of (IPv6 and an iptables-save dump): told once.
  const lacking = new Set(([4, 6] as const).filter((v) => rulesLackVersion(set, v)));
  const unattributable = new Map<IpVersion, number>();
  const notAttributed = (t: HopTuple): void => {
    const v = ipVersion(t.dst.ip);
    if (lacking.has(v)) unattributable.set(v, (unattributable.get(v) ?? 0) + 1);
  };
  let attributed = 0;
  let total = 0;
  for (const [c, f] of local) {
    total++;
    if (f.rule !== null) attributed++;
    else notAttributed(hopTuples(c)[0].before);
  }
  for (const c of a.correlations) {
    const tuples = hopTuples(c);
    c.hops.forEach((h, i) => {
      const t = tuples[i];
      if (!t || !KERNEL.has(h.mechanism)) return;
      total++;
      kernelHops.push(t);
      const r = attributeRule(t, set);
      if (r) {
        h.rule = r;
        attributed++;
        // Both rules of a dnat+snat hop: the source rewrite is the MASQUERADE rule's, not the DNAT's.
        c.evidence.push({ kind: 'rule', detail: `${h.rewrite} matches ${ruleRefsText(r)}`, weight: 0.1 });
      } else {
        notAttributed(t.before);
      }
    });
  }
  a.inferences.push(`--rules ${source}: ${rulesReadText(set)}; ${attributed} of ${total} kernel rewrite${total === 1 ? '' : 's'} attributed to a rule`);
  for (const [v, n] of unattributable) a.inferences.push(`--rules ${source}: ${familyGapText(set, v, n)}`);
  if (set.skipped.length > 0) a.inferences.push(`--rules ${source}: ${set.skipped.length} line(s) looked like rules but could not be parsed`);
  for (const k of findContradictions(set, kernelHops, { seenDstPorts })) {
    // A published port nobody used in this capture is worth a flag, but it contradicts nothing.
    a.inferences.push(k.kind === 'unused-dnat' ? `unused rule: ${k.detail}` : `contradiction: ${k.detail}`);
  }
}
