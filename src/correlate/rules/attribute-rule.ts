import type { Mechanism, RuleRef } from '../model.js';
import { ipProtoName, ipProtoNumber } from '../../flows/ip-proto.js';
import { familyCovers, ipVersion, type AddrMatch, type ChainInfo, type Hook, type IfaceMatch, type IpVersion, type NatRule, type PortMatch, type RuleSet } from './rule.js';

/** One side of a rewrite: what a packet looked like before or after the NAT. */
export interface HopTuple {
  /** `tcp`, `udp`, `icmp`, another name the summaries write (`igmp`) or the IP protocol number. */
  proto: string | number;
  src: { ip: string; port: number };
  dst: { ip: string; port: number };
}

export interface HopToAttribute {
  mechanism: Mechanism;
  before: HopTuple;
  after: HopTuple;
  /** Interface the client-side packet was captured on / arrived from (`eth0`, `lo`, `docker0`). */
  ingressIface?: string;
  /** Interface the rewritten packet left by. */
  egressIface?: string;
  /** A process on this host sent the first packet (from any of its addresses): no input interface. */
  localOrigin?: boolean;
}

export interface AttributeOptions {
  /** Addresses of the host (for `addrtype LOCAL` / `fib … type local`); 127.0.0.0/8 is always local. */
  localAddrs?: Iterable<string>;
}

/** A packet as the rule walk sees it; null fields are unknown and match anything. */
interface WalkPacket {
  /** Only tables of its family see it: an IPv6 packet never meets `table ip nat`'s DNAT. */
  version: IpVersion;
  proto: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  inIface: string | null;
  outIface: string | null;
  srcLocal: boolean | null;
  dstLocal: boolean | null;
}

/**
 * The protocol as iptables writes it (`ipv6-icmp` for 58), whether given by number (`-p 2`, a
 * flow's protocol) or by name (`-p igmp`, a summary's `igmp`): one spelling per protocol, so a
 * rule and a hop compare equal however each was written.
 */
export function protoName(p: string | number): string {
  const n = typeof p === 'number' ? p : /^\d+$/.test(p) ? Number(p) : ipProtoNumber(p);
  if (n === null) return String(p).toLowerCase();
  return n === 58 ? 'ipv6-icmp' : ipProtoName(n);
}

/**
 * Finds the rule(s) that did a hop's rewrite by walking the nat chains as netfilter would for the
 * packet before the rewrite: PREROUTING (forwarded) or OUTPUT (locally generated) for DNAT,
 * POSTROUTING for SNAT/MASQUERADE, both for dnat+snat. Returns the DNAT rule first for dnat+snat,
 * with the source-NAT rule in `also`. Chain names are never assumed: only base-chain hooks,
 * jumps and matches decide, so Docker 27's DOCKER chain, 28's layout and 29's nftables
 * `docker-bridges` table are all handled. Null for the proxy, the bridge, or when no rule fits.
 */
export function attributeRule(hop: HopToAttribute, rules: RuleSet | RuleSet[], opts: AttributeOptions = {}): RuleRef | null {
  const sets = Array.isArray(rules) ? rules : [rules];
  const r = attributeRules(hop, sets, opts);
  if (r.length === 0) return null;
  const [first, ...rest] = r;
  return rest.length ? { ...first, also: rest } : first;
}

/** The rules (as NatRule) behind a hop, in the order the packet met them. */
export function attributeRules(hop: HopToAttribute, rules: RuleSet | RuleSet[], opts: AttributeOptions = {}): RuleRef[] {
  const sets = Array.isArray(rules) ? rules : [rules];
  const found = findRewriteRules(hop, sets, opts);
  return found.map(toRuleRef);
}

export function findRewriteRules(hop: HopToAttribute, sets: RuleSet[], opts: AttributeOptions = {}): NatRule[] {
  const local = localPredicate(opts);
  const proto = protoName(hop.before.proto);
  const wantDnat = hop.mechanism === 'dnat' || hop.mechanism === 'dnat+snat';
  const wantSnat = hop.mechanism === 'snat' || hop.mechanism === 'dnat+snat';
  if (!wantDnat && !wantSnat) return [];
  const out: NatRule[] = [];
  const srcIsLocal = hop.localOrigin === true || local(hop.before.src.ip) || hop.ingressIface === 'lo';
  let mid = { ...hop.before };
  let generatedLocally = srcIsLocal;
  if (wantDnat) {
    const pkt: WalkPacket = {
      version: ipVersion(hop.before.dst.ip), proto, src: hop.before.src.ip, dst: hop.before.dst.ip, sport: hop.before.src.port, dport: hop.before.dst.port,
      inIface: null, outIface: null, srcLocal: srcIsLocal, dstLocal: true,
    };
    const ok = (r: NatRule) => r.target.kind === 'dnat' && natToFits(r.target.to, hop.after.dst.ip, hop.after.dst.port);
    // Locally generated packets get their NAT binding in OUTPUT (the loopback PREROUTING pass
    // finds the conntrack entry already set up); received ones in PREROUTING.
    const order: Hook[] = srcIsLocal ? ['output'] : hop.ingressIface ? ['prerouting'] : ['prerouting', 'output'];
    let dnat: NatRule | null = null;
    for (const hook of order) {
      // A locally generated packet has no input interface: `-i docker0` never matches it (a
      // chain that both PREROUTING and OUTPUT jump to, such as Docker's DOCKER, has such rules).
      const p = hook === 'prerouting' ? { ...pkt, inIface: hop.ingressIface ?? null } : { ...pkt, inIface: NO_IFACE };
      dnat = walkHook(sets, hook, p, ok);
      if (dnat) {
        generatedLocally = hook === 'output';
        break;
      }
    }
    if (!dnat) return [];
    out.push(dnat);
    mid = { ...hop.before, dst: hop.after.dst };
  }
  if (wantSnat) {
    const pkt: WalkPacket = {
      version: ipVersion(mid.dst.ip), proto, src: mid.src.ip, dst: mid.dst.ip, sport: mid.src.port, dport: mid.dst.port,
      inIface: generatedLocally ? NO_IFACE : hop.ingressIface ?? null,
      outIface: hop.egressIface ?? null,
      srcLocal: generatedLocally || local(mid.src.ip) ? true : hop.ingressIface ? false : null,
      dstLocal: local(mid.dst.ip) ? true : null,
    };
    const ok = (r: NatRule) =>
      (r.target.kind === 'masquerade') ||
      (r.target.kind === 'snat' && natToFits(r.target.to, hop.after.src.ip, null));
    const snat = walkHook(sets, 'postrouting', pkt, ok);
    if (!snat) return wantDnat ? out : [];
    out.push(snat);
  }
  return out;
}

export function toRuleRef(r: NatRule): RuleRef {
  return {
    table: r.table,
    chain: r.chain,
    text: r.text,
    source: `${r.source}:${r.line}`,
    ...(r.counters ? { counters: { ...r.counters } } : {}),
  };
}

/**
 * How a `[rule]` evidence line names the rules behind a rewrite: `table/chain: rule (file:line)`,
 * a dnat+snat hop's MASQUERADE rule after its DNAT rule.
 */
export function ruleRefsText(r: RuleRef): string {
  return [r, ...(r.also ?? [])].map((x) => `${x.table}/${x.chain}: ${x.text}${x.source ? ` (${x.source})` : ''}`).join(', then ');
}

function natToFits(to: { addr: string | null; portLo: number | null; portHi: number | null }, ip: string, port: number | null): boolean {
  if (to.addr && to.addr !== ip) return false;
  if (port !== null && to.portLo !== null && to.portHi !== null && (port < to.portLo || port > to.portHi)) return false;
  return true;
}

/**
 * Walks every nat-type base chain on `hook` (lowest priority first) and returns the first NAT
 * rule the packet hits; `fits` says whether that rule's rewrite is the one observed. A NAT rule
 * that is hit but does not fit ends the walk with null (the kernel would have applied it).
 */
function walkHook(sets: RuleSet[], hook: Hook, pkt: WalkPacket, fits: (r: NatRule) => boolean): NatRule | null {
  for (const set of sets) {
    const bases = set.chains
      .filter((c) => c.hook === hook && (c.type === 'nat' || (c.type === null && c.table === 'nat')) && familyCovers(c.family, pkt.version))
      .sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
    for (const base of bases) {
      const res = walkChain(set, base.table, base.name, pkt, 0);
      if (res === 'accept') break;
      if (res && typeof res === 'object') return fits(res) ? res : null;
    }
    // iptables -L dumps without a table line still name their built-in chains.
    if (bases.length === 0 && set.format === 'iptables-list') {
      const name = hook.toUpperCase();
      if (set.rules.some((r) => r.chain === name && r.table === 'nat')) {
        const res = walkChain(set, 'nat', name, pkt, 0);
        if (res && typeof res === 'object') return fits(res) ? res : null;
      }
    }
  }
  return null;
}

/**
 * The DNAT rule nat PREROUTING applies to a packet received on `inIface` (to a local address):
 * where the host would send it. Null when no DNAT rule matches it.
 */
export function prerouteDnatRule(rules: RuleSet | RuleSet[], t: HopTuple, inIface: string): NatRule | null {
  const sets = Array.isArray(rules) ? rules : [rules];
  const pkt: WalkPacket = {
    version: ipVersion(t.dst.ip), proto: protoName(t.proto), src: t.src.ip, dst: t.dst.ip, sport: t.src.port, dport: t.dst.port,
    inIface, outIface: null, srcLocal: false, dstLocal: true,
  };
  return walkHook(sets, 'prerouting', pkt, (r) => r.target.kind === 'dnat');
}

/** A packet the host forwards, as the filter table sees it in FORWARD. */
export interface ForwardedPacket {
  proto: string | number;
  src: { ip: string; port: number };
  dst: { ip: string; port: number };
  inIface: string;
  outIface: string;
  /** Its conntrack state (`ESTABLISHED` for a reply), for `-m conntrack --ctstate`. */
  ctstate: string;
}

/**
 * The filter rule that drops a forwarded packet, walked as the kernel walks FORWARD: the first
 * ACCEPT lets it through (null), a DROP or REJECT is returned, a base chain's DROP policy too
 * (`'policy'`). A rule with a match this walk cannot evaluate (a mark, a string) ends it with
 * null rather than a guess.
 */
export function forwardDropRule(rules: RuleSet | RuleSet[], p: ForwardedPacket): NatRule | 'policy' | null {
  const sets = Array.isArray(rules) ? rules : [rules];
  const pkt: WalkPacket = {
    version: ipVersion(p.dst.ip), proto: protoName(p.proto), src: p.src.ip, dst: p.dst.ip, sport: p.src.port, dport: p.dst.port,
    inIface: p.inIface, outIface: p.outIface, srcLocal: false, dstLocal: false,
  };
  for (const set of sets) {
    const bases = set.chains.filter((c) => c.hook === 'forward' && (c.type === 'filter' || (c.type === null && c.table === 'filter')) && familyCovers(c.family, pkt.version));
    for (const base of bases) {
      const res = walkFilterChain(set, base.table, base.name, pkt, p.ctstate, 0);
      if (res === 'accept' || res === 'unknown') return null;
      if (res !== null && res !== 'return') return res;
      if (base.policy?.toUpperCase() === 'DROP') return 'policy';
    }
  }
  return null;
}

function walkFilterChain(set: RuleSet, table: string, chain: string, pkt: WalkPacket, ctstate: string, depth: number): NatRule | 'accept' | 'return' | 'unknown' | null {
  if (depth > 16) return 'unknown';
  for (const r of set.rules) {
    if (r.table !== table || r.chain !== chain || !matches(r, pkt)) continue;
    const known = knownMatches(r, ctstate);
    if (known === null) return 'unknown';
    if (!known) continue;
    const t = r.target;
    if (t.kind === 'accept') return 'accept';
    if (t.kind === 'drop') return r;
    if (t.kind === 'return') return 'return';
    if (t.kind === 'jump' || t.kind === 'goto') {
      const res = walkFilterChain(set, table, t.chain, pkt, ctstate, depth + 1);
      if (res === 'return' || res === null) {
        if (t.kind === 'goto') return 'return';
        continue;
      }
      return res;
    }
  }
  return null;
}

/**
 * The matches `matches` leaves aside: a conntrack state (iptables `--ctstate`, nft `ct state`)
 * is evaluated, anything else is not known (null).
 */
function knownMatches(r: NatRule, ctstate: string): boolean | null {
  for (const u of r.match.unknown) {
    const m = /^(!\s*)?--(?:ct)?state\s+(\S+)$/.exec(u) ?? /^ct state\s+(!=\s*)?\{?\s*([a-z, ]+?)\s*\}?$/.exec(u);
    if (m === null) return null;
    const states = m[2].split(',').map((x) => x.trim().toUpperCase());
    if (states.includes(ctstate) === (m[1] !== undefined)) return false;
  }
  return true;
}

type WalkResult = NatRule | 'accept' | 'return' | null;

function walkChain(set: RuleSet, table: string, chain: string, pkt: WalkPacket, depth: number): WalkResult {
  if (depth > 16) return null; // jump loops are rejected by the kernel; be safe anyway
  for (const r of set.rules) {
    if (r.table !== table || r.chain !== chain) continue;
    if (!matches(r, pkt)) continue;
    const t = r.target;
    switch (t.kind) {
      case 'dnat': case 'snat': case 'masquerade': case 'redirect':
        return r;
      case 'accept': case 'drop':
        return 'accept';
      case 'return':
        return 'return';
      case 'jump': case 'goto': {
        const res = walkChain(set, table, t.chain, pkt, depth + 1);
        if (res === 'return' || res === null) {
          if (t.kind === 'goto') return 'return';
          continue;
        }
        return res;
      }
      case 'vmap': {
        const iface = t.key === 'iifname' ? pkt.inIface : pkt.outIface;
        const entries = iface === null ? t.entries : t.entries.filter((e) => e.iface === iface);
        for (const e of entries) {
          const res = walkChain(set, table, e.chain, pkt, depth + 1);
          if (res !== 'return' && res !== null) return res;
        }
        continue;
      }
      default:
        continue;
    }
  }
  return null;
}

function matches(r: NatRule, p: WalkPacket): boolean {
  if (!familyCovers(r.family, p.version)) return false;
  const m = r.match;
  if (m.proto !== null) {
    const eq = m.proto === p.proto;
    if (eq === m.protoNegate) return false;
  }
  if (m.src && !addrMatches(m.src, p.src)) return false;
  if (m.dst && !addrMatches(m.dst, p.dst)) return false;
  if (m.sport && !portMatches(m.sport, p.sport)) return false;
  if (m.dport && !portMatches(m.dport, p.dport)) return false;
  if (m.inIface && !ifaceMatches(m.inIface, p.inIface)) return false;
  if (m.outIface && !ifaceMatches(m.outIface, p.outIface)) return false;
  if (m.srcType && !typeMatches(m.srcType, p.srcLocal)) return false;
  if (m.dstType && !typeMatches(m.dstType, p.dstLocal)) return false;
  return true;
}

/** The input interface of a locally generated packet: none (null is "not known"). */
const NO_IFACE = '';

function ifaceMatches(m: IfaceMatch, iface: string | null): boolean {
  if (iface === null) return true; // unknown: assume the rule applies
  if (iface === NO_IFACE) return m.negate;
  const wild = m.name.endsWith('+') || m.name.endsWith('*');
  const eq = wild ? iface.startsWith(m.name.slice(0, -1)) : iface === m.name;
  return eq !== m.negate;
}

function typeMatches(m: { type: string; negate: boolean }, isLocal: boolean | null): boolean {
  if (isLocal === null || m.type !== 'LOCAL') return true;
  return isLocal !== m.negate;
}

function portMatches(m: PortMatch, port: number): boolean {
  const hit = m.ranges.some(([lo, hi]) => port >= lo && port <= hi);
  return hit !== m.negate;
}

export function addrMatches(m: AddrMatch, ip: string): boolean {
  return inPrefix(ip, m.addr, m.prefix) !== m.negate;
}

export function inPrefix(ip: string, net: string, prefix: number): boolean {
  const a = ipBytes(ip);
  const b = ipBytes(net);
  if (!a || !b || a.length !== b.length) return false;
  let bits = prefix;
  for (let i = 0; i < a.length && bits > 0; i++) {
    const n = Math.min(8, bits);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((a[i] & mask) !== (b[i] & mask)) return false;
    bits -= n;
  }
  return true;
}

function ipBytes(ip: string): number[] | null {
  if (ip.includes('.') && !ip.includes(':')) {
    const p = ip.split('.').map(Number);
    return p.length === 4 && p.every((x) => x >= 0 && x <= 255) ? p : null;
  }
  if (!ip.includes(':')) return null;
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  if (groups.length !== 8) return null;
  const out: number[] = [];
  for (const g of groups) {
    const n = parseInt(g, 16);
    out.push(n >> 8, n & 255);
  }
  return out;
}

function localPredicate(opts: AttributeOptions): (ip: string) => boolean {
  const set = new Set(opts.localAddrs ?? []);
  return (ip) => set.has(ip) || inPrefix(ip, '127.0.0.0', 8) || ip === '::1';
}

export type { ChainInfo };
