/**
 * Normalized NAT rules, whatever tool printed them (iptables-save, iptables -L, nft list ruleset).
 * Attribution works on these semantics only, never on one Docker version's chain names
 * (docker-nat-facts §4).
 */

/** An IPv4/IPv6 prefix, possibly negated (`! -s 172.17.0.0/16`, `ip saddr != …`). */
export interface AddrMatch {
  addr: string;
  prefix: number;
  negate: boolean;
}

/** A port or range, possibly a set (`--dports 80,443`, `tcp dport { 80, 443 }`). */
export interface PortMatch {
  ranges: [number, number][];
  negate: boolean;
}

export interface IfaceMatch {
  /** Interface name; a trailing `+` (iptables) or `*` (nft) is a prefix wildcard. */
  name: string;
  negate: boolean;
}

export interface AddrTypeMatch {
  /** `LOCAL`, `UNICAST`, … upper-cased. */
  type: string;
  negate: boolean;
}

export interface RuleMatch {
  /** Lower-case protocol name (`tcp`, `udp`, `icmp`) or null for any. */
  proto: string | null;
  protoNegate: boolean;
  src: AddrMatch | null;
  dst: AddrMatch | null;
  sport: PortMatch | null;
  dport: PortMatch | null;
  inIface: IfaceMatch | null;
  outIface: IfaceMatch | null;
  srcType: AddrTypeMatch | null;
  dstType: AddrTypeMatch | null;
  /** Matches this parser did not understand (kept so attribution can say it assumed them). */
  unknown: string[];
}

/** Rewrite destination/source: address and optional port range. */
export interface NatTo {
  addr: string | null;
  portLo: number | null;
  portHi: number | null;
}

export type RuleTarget =
  | { kind: 'dnat'; to: NatTo }
  | { kind: 'snat'; to: NatTo }
  | { kind: 'masquerade'; portLo: number | null; portHi: number | null; random: boolean }
  | { kind: 'redirect'; portLo: number | null; portHi: number | null }
  | { kind: 'return' }
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'jump'; chain: string }
  | { kind: 'goto'; chain: string }
  /** nft verdict map on the input or output interface (`iifname vmap @map`). */
  | { kind: 'vmap'; key: 'iifname' | 'oifname'; entries: { iface: string; verdict: 'jump' | 'goto'; chain: string }[] }
  | { kind: 'none' }
  | { kind: 'other'; name: string };

export interface Counters {
  packets: number;
  bytes: number;
}

/**
 * The address family of a table, as nft names it: `ip` (IPv4), `ip6`, `inet` (both); `arp`,
 * `bridge` and `netdev` tables never see a routed IP packet. iptables-save and iptables -L dump
 * one family each: `ip` or `ip6`, or null when the dump does not show which (no header and no
 * address), and then nothing is assumed: its rules are walked for both.
 */
export type RuleFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export type IpVersion = 4 | 6;

export function ipVersion(ip: string): IpVersion {
  return ip.includes(':') ? 6 : 4;
}

/** Whether a table of this family sees packets of IP version `v`. */
export function familyCovers(family: RuleFamily | null, v: IpVersion): boolean {
  if (family === null || family === 'inet') return true;
  return family === (v === 4 ? 'ip' : 'ip6');
}

/** The one family a dump's addresses show, null when they show none or both. */
export function familyOfAddresses(addrs: Iterable<string>): RuleFamily | null {
  let v4 = false;
  let v6 = false;
  for (const a of addrs) {
    if (ipVersion(a) === 6) v6 = true;
    else v4 = true;
  }
  return v4 === v6 ? null : v4 ? 'ip' : 'ip6';
}

export interface NatRule {
  /** `nat`, `filter`, `raw` for iptables; `ip nat`, `ip docker-bridges` for nft. */
  table: string;
  family: RuleFamily | null;
  chain: string;
  match: RuleMatch;
  target: RuleTarget;
  counters: Counters | null;
  /** The rule as printed in the input (whitespace collapsed). */
  text: string;
  /** 1-based line in the input. */
  line: number;
  /** File name (or label) the rule came from. */
  source: string;
  /** nft comment / iptables `--comment`, when present. */
  comment: string | null;
}

/** A netfilter hook a base chain is attached to. */
export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

export interface ChainInfo {
  table: string;
  family: RuleFamily | null;
  name: string;
  /** Set for base chains. */
  hook: Hook | null;
  /** nft chain type (`nat`, `filter`); iptables: derived from the table. */
  type: string | null;
  priority: number | null;
  policy: string | null;
}

export interface RuleSet {
  source: string;
  format: 'iptables-save' | 'iptables-list' | 'nft';
  rules: NatRule[];
  chains: ChainInfo[];
  /** Lines that looked like rules but could not be parsed, as `line: text`. */
  skipped: string[];
}

/** The IP versions the rules hold tables for: a table with no rules still says its family has none. */
export function rulesetVersions(sets: RuleSet | RuleSet[]): Set<IpVersion> {
  const out = new Set<IpVersion>();
  for (const set of Array.isArray(sets) ? sets : [sets]) {
    for (const x of [...set.chains, ...set.rules]) {
      for (const v of [4, 6] as const) if (familyCovers(x.family, v)) out.add(v);
    }
  }
  return out;
}

/**
 * True when the rules are of the other address family only (an IPv6 rewrite and an iptables-save
 * dump): the rule that did it is in a dump not given, so its absence contradicts nothing.
 */
export function rulesLackVersion(sets: RuleSet | RuleSet[], v: IpVersion): boolean {
  const have = rulesetVersions(sets);
  return have.size > 0 && !have.has(v);
}

export function emptyMatch(): RuleMatch {
  return {
    proto: null, protoNegate: false, src: null, dst: null, sport: null, dport: null,
    inIface: null, outIface: null, srcType: null, dstType: null, unknown: [],
  };
}

export const IPTABLES_BUILTIN_HOOKS: Record<string, Hook> = {
  PREROUTING: 'prerouting', INPUT: 'input', FORWARD: 'forward', OUTPUT: 'output', POSTROUTING: 'postrouting',
};

export function parseAddrMatch(text: string, negate: boolean): AddrMatch | null {
  const m = /^([0-9a-fA-F.:]+)(?:\/(\d+))?$/.exec(text);
  if (!m) return null;
  const v6 = m[1].includes(':');
  return { addr: m[1], prefix: m[2] !== undefined ? Number(m[2]) : v6 ? 128 : 32, negate };
}

/** The addresses a rule names: its matches and its NAT target. */
export function ruleAddresses(r: NatRule): string[] {
  const out: string[] = [];
  if (r.match.src) out.push(r.match.src.addr);
  if (r.match.dst) out.push(r.match.dst.addr);
  if ((r.target.kind === 'dnat' || r.target.kind === 'snat') && r.target.to.addr !== null) out.push(r.target.to.addr);
  return out;
}

/** `5000`, `1000:2000`, `1000-2000`, `80,443` → ranges. Service names: a few common ones. */
export function parsePortList(text: string, negate: boolean): PortMatch | null {
  const ranges: [number, number][] = [];
  for (const part of text.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const r = /^([a-z0-9-]+)(?:[:-]([a-z0-9-]+))?$/i.exec(p);
    if (!r) return null;
    const lo = portNumber(r[1]);
    const hi = r[2] !== undefined ? portNumber(r[2]) : lo;
    if (lo === null || hi === null) return null;
    ranges.push([lo, hi]);
  }
  return ranges.length ? { ranges, negate } : null;
}

// iptables -L without -n prints service names (`tcp dpt:http`).
const SERVICES: Record<string, number> = {
  http: 80, https: 443, domain: 53, ssh: 22, 'http-alt': 8080, webcache: 8080, ftp: 21, smtp: 25,
  ntp: 123, mysql: 3306, postgresql: 5432, 'commplex-main': 5000, redis: 6379, bootps: 67, bootpc: 68,
};

function portNumber(s: string): number | null {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n <= 65535 ? n : null;
  }
  return SERVICES[s.toLowerCase()] ?? null;
}

/** `172.17.0.2:5000`, `172.17.0.2:5000-5010`, `:5000`, `[fd00::2]:80`, `172.17.0.2`. */
export function parseNatTo(text: string): NatTo {
  let addr: string | null = null;
  let ports: string | null = null;
  const v6 = /^\[([^\]]+)\](?::(.+))?$/.exec(text);
  if (v6) {
    addr = v6[1];
    ports = v6[2] ?? null;
  } else if ((text.match(/:/g) ?? []).length > 1) {
    addr = text; // bare IPv6 without port
  } else {
    const i = text.indexOf(':');
    addr = i < 0 ? text : text.slice(0, i) || null;
    ports = i < 0 ? null : text.slice(i + 1);
  }
  if (addr && addr.includes('-')) addr = addr.split('-')[0]; // address range: first address
  let portLo: number | null = null;
  let portHi: number | null = null;
  if (ports) {
    const m = /^(\d+)(?:-(\d+))?/.exec(ports);
    if (m) {
      portLo = Number(m[1]);
      portHi = m[2] !== undefined ? Number(m[2]) : portLo;
    }
  }
  return { addr, portLo, portHi };
}

export function parseCounterValue(s: string): number {
  // iptables -L without -x abbreviates: 12K, 3M, 1G.
  const m = /^(\d+)([KMGT]?)$/.exec(s);
  if (!m) return 0;
  const mult = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] as '' | 'K' | 'M' | 'G' | 'T'];
  return Number(m[1]) * mult;
}
