/**
 * Side evidence for a connection the host sent into the bridge after DNAT in nat OUTPUT
 * (describe.ts isLocalOriginDnat): its original destination is on no capture point, so the
 * capture alone cannot name the rule nor the published port. Conntrack holds the original tuple
 * (found by the reply direction, which is what the bridge shows); without it, the one DNAT rule
 * whose target is this container's address and port, walked from nat OUTPUT for a connection to
 * the host's own address, gives the published port.
 */
import type { Evidence, RuleRef } from './model.js';
import { attributeRule, findEntryByReply, ruleRefsText, type ConntrackEntry, type HopTuple, type RuleSet } from './rules/index.js';

export interface LocalDnatFindings {
  /** The tuple the process opened, when conntrack has it. */
  original: HopTuple | null;
  evidence: Evidence[];
  /** A contradiction to note (conntrack holds the connection un-NATed). */
  contradiction: string | null;
  rule: RuleRef | null;
}

function text(t: { ip: string; port: number }): string {
  return t.ip.includes(':') ? `[${t.ip}]:${t.port}` : `${t.ip}:${t.port}`;
}

export function localDnatFindings(seen: HopTuple, conntrack: readonly ConntrackEntry[] | null, rules: RuleSet | null): LocalDnatFindings {
  const out: LocalDnatFindings = { original: null, evidence: [], contradiction: null, rule: null };
  const seenText = `${text(seen.src)} → ${text(seen.dst)}`;
  if (conntrack !== null) {
    const e = findEntryByReply(conntrack, seen);
    if (e !== null && e.orig.sport !== null && e.orig.dport !== null) {
      const orig: HopTuple = { proto: seen.proto, src: { ip: e.orig.src, port: e.orig.sport }, dst: { ip: e.orig.dst, port: e.orig.dport } };
      const origText = `${text(orig.src)} → ${text(orig.dst)}`;
      if (orig.dst.ip !== seen.dst.ip || orig.dst.port !== seen.dst.port) {
        out.original = orig;
        out.evidence.push({
          kind: 'conntrack',
          detail: `conntrack entry ${origText} expects replies from ${text(seen.dst)}: the process connected to ${text(orig.dst)}, which nat OUTPUT rewrote to ${text(seen.dst)}`,
          weight: 0.15,
          values: [origText, seenText],
        });
      } else {
        out.contradiction = `conntrack holds ${origText} un-NATed: the process connected to the container directly, from a socket bound to ${seen.src.ip}`;
        out.evidence.push({ kind: 'conntrack', detail: out.contradiction, weight: 0 });
      }
    }
  }
  if (rules !== null) {
    // The destination the process used: conntrack's, or the host's own address (the source the
    // kernel chose for it) with each published port a DNAT rule to this container names.
    const tries: HopTuple[] = out.original !== null ? [out.original] : [];
    if (out.original === null) {
      for (const r of rules.rules) {
        if (r.target.kind !== 'dnat' || (r.target.to.addr !== null && r.target.to.addr !== seen.dst.ip)) continue;
        for (const [lo] of r.match.dport?.ranges ?? []) tries.push({ proto: seen.proto, src: seen.src, dst: { ip: seen.src.ip, port: lo } });
      }
    }
    for (const before of tries) {
      const rule = attributeRule({ mechanism: 'dnat', before, after: seen, ingressIface: 'lo' }, rules);
      if (rule !== null) {
        out.rule = rule;
        out.evidence.push({
          kind: 'rule',
          detail: `dst ${text(before.dst)} → ${text(seen.dst)} matches ${ruleRefsText(rule)}${out.original === null ? `; the published port ${before.dst.port} is read from the rule` : ''}`,
          weight: 0.1,
        });
        break;
      }
    }
  }
  return out;
}
