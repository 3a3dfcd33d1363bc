import { familyCovers, type IpVersion, type NatRule, type RuleSet } from './rule.js';

// iptables names the table on every rule; nft tables are `<family> <name>` and say nothing of
// what their chains do.
const IPTABLES_TABLES = new Set(['nat', 'filter', 'raw', 'mangle', 'security']);

const FORMAT_NAMES: Record<RuleSet['format'], string> = { 'iptables-save': 'iptables-save', 'iptables-list': 'iptables -L', nft: 'nft' };

/**
 * How many rules `--rules` read, by what they do, and of which address family: `6 NAT rules and
 * 12 filter rules read (iptables-save, IPv4)`. A dump holds the filter table too (the FORWARD
 * walk reads it), so one total called "NAT rules" would overstate what attribution can use.
 */
export function rulesReadText(set: RuleSet): string {
  const counts = new Map<string, number>();
  const kinds = chainKinds(set);
  for (const r of set.rules) {
    const kind = ruleKind(r, kinds);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const parts = [...counts].sort(([a], [b]) => kindOrder(a) - kindOrder(b) || a.localeCompare(b)).map(([kind, n]) => countText(kind, n));
  const family = familyText(set);
  return `${parts.length > 0 ? joinList(parts) : 'no rules'} read (${FORMAT_NAMES[set.format]}${family === null ? '' : `, ${family}`})`;
}

/** `IPv4`, `IPv6`, `IPv4 and IPv6`; null when a dump does not show its family. */
function familyText(set: RuleSet): string | null {
  const tables = [...set.chains, ...set.rules];
  if (tables.length === 0 || tables.some((x) => x.family === null)) return null;
  const versions = ([4, 6] as const).filter((v) => tables.some((x) => familyCovers(x.family, v)));
  return versions.length === 0 ? null : versions.map((v) => `IPv${v}`).join(' and ');
}

/**
 * Why `n` rewrites of IP version `v` have no rule: the rules given hold the other family only.
 * Says where their rules are; iptables-save dumps of both families may share one file.
 */
export function familyGapText(set: RuleSet, v: IpVersion, n: number): string {
  const want = `IPv${v}`;
  const have = `IPv${v === 4 ? 6 : 4}`;
  const rewrites = n === 1 ? `the ${want} rewrite was` : `the ${n} ${want} rewrites were`;
  return `the rules given are ${have} only (${FORMAT_NAMES[set.format]}), so ${rewrites} not attributed to a rule, which contradicts nothing: ${otherDumpText(set.format, v)}`;
}

function otherDumpText(format: RuleSet['format'], v: IpVersion): string {
  const tool = v === 6 ? 'ip6tables' : 'iptables';
  const where = `IPv${v} NAT rules are in ${tool}`;
  if (format === 'iptables-save') return `${where}; give both dumps, \`--rules\` once for each file or \`--rules <(iptables-save -c; ip6tables-save -c)\``;
  if (format === 'iptables-list') return `${where}; give \`${tool} -t nat -L -n -v\` to --rules for them`;
  // nft list ruleset shows every nftables table; rules of ip(6)tables-legacy are only in its own dump.
  return `the ruleset has no ${v === 6 ? 'ip6' : 'ip'} or inet table; ${tool}-legacy rules are only in \`${tool}-save -c\`, which --rules reads with it: \`--rules <(nft list ruleset; ${tool}-save -c)\``;
}

const UNREACHED = '';

// iptables-nft's raw, mangle and security tables hold filter-type chains: named as iptables-save
// names them, so one ruleset reads the same whichever tool dumped it.
const NFT_COMPAT_TABLES = new Set(['raw', 'mangle', 'security']);

function ruleKind(r: NatRule, kinds: ReadonlyMap<string, string>): string {
  if (IPTABLES_TABLES.has(r.table)) return r.table;
  const nftName = r.table.slice(r.table.indexOf(' ') + 1);
  if (NFT_COMPAT_TABLES.has(nftName)) return nftName;
  return kinds.get(chainKey(r.table, r.chain)) ?? UNREACHED;
}

function kindOrder(kind: string): number {
  return kind === 'nat' ? 0 : kind === 'filter' ? 1 : kind === UNREACHED ? 3 : 2;
}

function countText(kind: string, n: number): string {
  const rules = n === 1 ? 'rule' : 'rules';
  if (kind === UNREACHED) return `${n} ${rules} in chains no hook reaches`;
  return `${n} ${kind === 'nat' ? 'NAT' : kind} ${rules}`;
}

function joinList(parts: string[]): string {
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

const chainKey = (table: string, chain: string) => `${table}\u0000${chain}`;

/**
 * An nft regular chain has no type of its own: it does the work of the base chains that jump to
 * it (Docker 29's `nat-prerouting-and-output` is NAT, `filter-forward-in__docker0` filter).
 */
function chainKinds(set: RuleSet): Map<string, string> {
  const kinds = new Map<string, string>();
  const queue: [string, string, string][] = [];
  for (const c of set.chains) {
    if (c.hook !== null && c.type !== null) queue.push([c.table, c.name, c.type]);
  }
  for (let i = 0; i < queue.length; i++) {
    const [table, chain, type] = queue[i];
    const key = chainKey(table, chain);
    if (kinds.has(key)) continue;
    kinds.set(key, type);
    for (const r of set.rules) {
      if (r.table !== table || r.chain !== chain) continue;
      for (const next of jumpTargets(r)) queue.push([table, next, type]);
    }
  }
  return kinds;
}

function jumpTargets(r: NatRule): string[] {
  const t = r.target;
  if (t.kind === 'jump' || t.kind === 'goto') return [t.chain];
  if (t.kind === 'vmap') return t.entries.map((e) => e.chain);
  return [];
}
