import type { RuleRef } from '../model.js';
import { addrPortText } from '../../explain/describe.js';
import { findRewriteRules, toRuleRef, type AttributeOptions, type HopToAttribute } from './attribute-rule.js';
import { ipVersion, rulesLackVersion, type NatTo, type RuleSet } from './rule.js';

export interface Contradiction {
  kind: 'unexplained-rewrite' | 'unused-dnat';
  /** One sentence with the real values, for `Analysis.inferences`. */
  detail: string;
  rule: RuleRef | null;
  rewrite: HopToAttribute | null;
}

export interface ContradictionOptions extends AttributeOptions {
  /**
   * Destination ports of every flow in the capture (before any rewrite). A DNAT rule is reported
   * unused only when its port is in none of these nor in a rewrite; without this list only the
   * observed rewrites count.
   */
  seenDstPorts?: Iterable<number>;
}

/**
 * Compares the rules with what the capture shows: a kernel rewrite (dnat, snat, dnat+snat) that
 * no rule explains, and a DNAT rule whose published port never appears in the capture. A rewrite
 * of an address family the rules hold nothing of is left out: its rules are in a dump not given
 * (ip6tables-save beside iptables-save), which contradicts nothing.
 */
export function findContradictions(rules: RuleSet | RuleSet[], observed: HopToAttribute[], opts: ContradictionOptions = {}): Contradiction[] {
  const sets = Array.isArray(rules) ? rules : [rules];
  const out: Contradiction[] = [];
  const lacking = new Set(([4, 6] as const).filter((v) => rulesLackVersion(sets, v)));
  for (const hop of observed) {
    if (hop.mechanism !== 'dnat' && hop.mechanism !== 'snat' && hop.mechanism !== 'dnat+snat') continue;
    if (lacking.has(ipVersion(hop.before.dst.ip))) continue;
    const found = findRewriteRules(hop, sets, opts);
    const need = hop.mechanism === 'dnat+snat' ? 2 : 1;
    if (found.length < need) {
      out.push({
        kind: 'unexplained-rewrite',
        detail: `${describeRewrite(hop)}: ${found.length ? 'only the DNAT part is explained by the rules given; no source-NAT rule matches' : 'no rule in the rules given explains it'}`,
        rule: found[0] ? toRuleRef(found[0]) : null,
        rewrite: hop,
      });
    }
  }
  const ports = new Set<number>(opts.seenDstPorts ?? []);
  for (const hop of observed) ports.add(hop.before.dst.port);
  for (const set of sets) {
    for (const r of set.rules) {
      if (r.target.kind !== 'dnat' || !r.match.dport || r.match.dport.negate) continue;
      const used = r.match.dport.ranges.some(([lo, hi]) => [...ports].some((p) => p >= lo && p <= hi));
      if (used) continue;
      const to = r.target.to;
      const portText = r.match.dport.ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
      out.push({
        kind: 'unused-dnat',
        detail: `DNAT rule for port ${portText}${natToText(to)} (${r.table} ${r.chain}, ${r.source}:${r.line}) matches no connection in the capture`,
        rule: toRuleRef(r),
        rewrite: null,
      });
    }
  }
  return out;
}

function describeRewrite(h: HopToAttribute): string {
  const b = h.before;
  const a = h.after;
  const ep = (e: { ip: string; port: number }) => addrPortText(e.ip, e.port);
  return `${h.mechanism} ${ep(b.src)} → ${ep(b.dst)} became ${ep(a.src)} → ${ep(a.dst)}`;
}

function natToText(to: NatTo): string {
  if (to.addr === null) return '';
  return ` → ${addrPortText(to.addr, to.portLo ?? -1)}`;
}
