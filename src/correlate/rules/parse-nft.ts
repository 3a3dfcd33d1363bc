import {
  emptyMatch, parseAddrMatch, parseNatTo, parsePortList,
  type ChainInfo, type Hook, type NatRule, type RuleFamily, type RuleMatch, type RuleSet, type RuleTarget,
} from './rule.js';

const HOOKS: Record<string, Hook> = {
  prerouting: 'prerouting', input: 'input', forward: 'forward', output: 'output', postrouting: 'postrouting',
};
const PRIORITY_NAMES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };

/**
 * Parses `nft list ruleset` (or `nft list table …`). Understands the statements NAT attribution
 * needs: interface, address, port, protocol and `fib … type` matches; dnat/snat/masquerade/
 * redirect; jump/goto/return/accept/drop; and verdict maps on the interface name, which is how
 * Docker 29's `table ip docker-bridges` dispatches per bridge.
 */
export function parseNftRuleset(text: string, source: string): RuleSet {
  const rules: NatRule[] = [];
  const chains: ChainInfo[] = [];
  const skipped: string[] = [];
  const maps = new Map<string, { iface: string; verdict: 'jump' | 'goto'; chain: string }[]>();
  const pendingVmaps: { rule: NatRule; map: string }[] = [];
  const lines = text.split(/\r?\n/);
  let table: string | null = null;
  let chain: ChainInfo | null = null;
  let mapName: string | null = null;
  let mapText = '';
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/#.*$/, '').trim();
    if (!line) continue;
    if (mapName !== null) {
      mapText += ' ' + line;
      if (line === '}') {
        maps.set(`${table}/${mapName}`, parseMapElements(mapText));
        mapName = null;
        depth--;
      }
      continue;
    }
    const t = /^table\s+(\S+)\s+(\S+)\s*\{$/.exec(line);
    if (t) {
      table = `${t[1]} ${t[2]}`;
      depth = 1;
      continue;
    }
    const c = /^chain\s+(\S+)\s*\{$/.exec(line);
    if (c && table) {
      chain = { table, family: tableFamily(table), name: c[1], hook: null, type: null, priority: null, policy: null };
      chains.push(chain);
      depth = 2;
      continue;
    }
    const m = /^(?:map|set)\s+(\S+)\s*\{$/.exec(line);
    if (m && table) {
      mapName = m[1];
      mapText = '';
      depth = 2;
      continue;
    }
    if (line === '}') {
      depth--;
      if (depth <= 1) chain = null;
      if (depth <= 0) table = null;
      continue;
    }
    if (!chain || !table) continue;
    const base = /^type\s+(\w+)\s+hook\s+(\w+)(?:\s+device\s+\S+)?\s+priority\s+([^;]+);(?:\s*policy\s+(\w+);)?/.exec(line);
    if (base) {
      chain.type = base[1];
      chain.hook = HOOKS[base[2]] ?? null;
      const p = base[3].trim();
      const pm = /^(\w+)?\s*([+-]\s*\d+)?$/.exec(p);
      chain.priority = /^-?\d+$/.test(p) ? Number(p) : pm ? (PRIORITY_NAMES[pm[1] ?? ''] ?? 0) + Number((pm[2] ?? '0').replace(/\s/g, '')) : null;
      chain.policy = base[4] ?? null;
      continue;
    }
    const rule = parseNftRule(line, table, chain.name, i + 1, source);
    if (!rule) {
      skipped.push(`${i + 1}: ${line}`);
      continue;
    }
    rules.push(rule);
    const vm = /\b(iifname|oifname)\s+vmap\s+@(\S+)/.exec(line);
    if (vm) pendingVmaps.push({ rule, map: `${table}/${vm[2]}` });
  }
  for (const { rule, map } of pendingVmaps) {
    if (rule.target.kind === 'vmap') rule.target.entries = maps.get(map) ?? [];
  }
  return { source, format: 'nft', rules, chains, skipped };
}

const FAMILIES: readonly RuleFamily[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

/** `ip6 nat` → `ip6`: an nft table names its family first. */
function tableFamily(table: string): RuleFamily | null {
  const f = table.slice(0, table.indexOf(' '));
  return FAMILIES.find((x) => x === f) ?? null;
}

function parseMapElements(text: string): { iface: string; verdict: 'jump' | 'goto'; chain: string }[] {
  const out: { iface: string; verdict: 'jump' | 'goto'; chain: string }[] = [];
  const el = /elements\s*=\s*\{([^}]*)\}/.exec(text);
  if (!el) return out;
  const re = /"?([^",:\s]+)"?\s*:\s*(jump|goto)\s+([^,\s}]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(el[1])) !== null) out.push({ iface: m[1], verdict: m[2] as 'jump' | 'goto', chain: m[3] });
  return out;
}

/** Splits an nft rule, keeping quoted strings and `{ … }` sets as single tokens. */
function tokenizeNft(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\{[^}]*\})|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) out.push(m[1] !== undefined ? `"${m[1]}"` : (m[2] ?? m[3]));
  return out;
}

const unquote = (s: string) => s.replace(/^"(.*)"$/, '$1');

export function parseNftRule(line: string, table: string, chain: string, lineNo: number, source: string): NatRule | null {
  const tok = tokenizeNft(line);
  const match: RuleMatch = emptyMatch();
  let target: RuleTarget = { kind: 'none' };
  let counters: NatRule['counters'] = null;
  let comment: string | null = null;
  let k = 0;
  // `!=` after a selector negates it; `==` is explicit equality.
  const value = (): { v: string; neg: boolean } => {
    let neg = false;
    if (tok[k] === '!=') { neg = true; k++; } else if (tok[k] === '==') k++;
    return { v: tok[k++] ?? '', neg };
  };
  while (k < tok.length) {
    const t = tok[k++];
    switch (t) {
      case 'iifname': case 'iif': case 'oifname': case 'oif': {
        if (tok[k] === 'vmap') {
          k += 2;
          target = { kind: 'vmap', key: t.startsWith('i') ? 'iifname' : 'oifname', entries: [] };
          break;
        }
        const { v, neg } = value();
        const m = { name: unquote(v), negate: neg };
        if (t.startsWith('i')) match.inIface = m; else match.outIface = m;
        break;
      }
      case 'ip': case 'ip6': {
        const field = tok[k++];
        if (field === 'saddr' || field === 'daddr') {
          const { v, neg } = value();
          const a = parseAddrMatch(v, neg);
          if (!a) match.unknown.push(`${t} ${field} ${v}`);
          else if (field === 'saddr') match.src = a; else match.dst = a;
        } else if (field === 'protocol' || field === 'nexthdr') {
          const { v, neg } = value();
          match.proto = v; match.protoNegate = neg;
        } else if (field === 'to' || field === 'version') {
          k--; // `dnat ip to` is handled by the dnat branch; treat anything else as unknown
          match.unknown.push(`${t} ${tok[k++]}`);
        } else {
          match.unknown.push(`${t} ${field} ${tok[k++] ?? ''}`.trim());
        }
        break;
      }
      case 'meta': {
        const field = tok[k++];
        if (field === 'l4proto') {
          const { v, neg } = value();
          match.proto = v; match.protoNegate = neg;
        } else if (field === 'iifname' || field === 'oifname') {
          const { v, neg } = value();
          const m = { name: unquote(v), negate: neg };
          if (field === 'iifname') match.inIface = m; else match.outIface = m;
        } else {
          match.unknown.push(`meta ${field} ${tok[k++] ?? ''}`.trim());
        }
        break;
      }
      case 'tcp': case 'udp': case 'sctp': case 'udplite': {
        const field = tok[k++];
        if (!match.proto) match.proto = t;
        if (field === 'dport' || field === 'sport') {
          const { v, neg } = value();
          const p = parsePortList(v.replace(/^\{\s*|\s*\}$/g, '').replace(/\s+/g, ''), neg);
          if (field === 'dport') match.dport = p; else match.sport = p;
        } else {
          match.unknown.push(`${t} ${field} ${tok[k++] ?? ''}`.trim());
        }
        break;
      }
      case 'icmp': case 'icmpv6':
        if (!match.proto) match.proto = t === 'icmp' ? 'icmp' : 'ipv6-icmp';
        match.unknown.push(`${t} ${tok[k++]} ${tok[k++] ?? ''}`.trim());
        break;
      case 'fib': {
        // fib daddr type local / fib saddr . iif type local
        const parts: string[] = [];
        while (k < tok.length && tok[k] !== 'type') parts.push(tok[k++]);
        k++;
        const { v, neg } = value();
        const m = { type: v.toUpperCase(), negate: neg };
        if (parts[0] === 'saddr') match.srcType = m; else match.dstType = m;
        break;
      }
      case 'ct':
        match.unknown.push(`ct ${tok[k++]} ${tok[k++] ?? ''}`.trim());
        break;
      case 'counter':
        if (tok[k] === 'packets') {
          counters = { packets: Number(tok[k + 1]), bytes: Number(tok[k + 3]) };
          k += 4;
        } else {
          counters = { packets: 0, bytes: 0 };
        }
        break;
      case 'comment':
        comment = unquote(tok[k++] ?? '');
        break;
      case 'dnat': case 'snat': {
        if (tok[k] === 'ip' || tok[k] === 'ip6') k++;
        if (tok[k] === 'to') k++;
        const to = parseNatTo(tok[k++] ?? '');
        target = t === 'dnat' ? { kind: 'dnat', to } : { kind: 'snat', to };
        while (k < tok.length && /^(random|fully-random|persistent|,)$/.test(tok[k])) k++;
        break;
      }
      case 'masquerade': case 'redirect': {
        let lo: number | null = null;
        let hi: number | null = null;
        let random = false;
        while (k < tok.length && /^(to|random|fully-random|persistent|:\d+(-\d+)?|,)$/.test(tok[k])) {
          const p = /^:(\d+)(?:-(\d+))?$/.exec(tok[k]);
          if (p) { lo = Number(p[1]); hi = Number(p[2] ?? p[1]); }
          if (tok[k] === 'random' || tok[k] === 'fully-random') random = true;
          k++;
        }
        target = t === 'masquerade' ? { kind: 'masquerade', portLo: lo, portHi: hi, random } : { kind: 'redirect', portLo: lo, portHi: hi };
        break;
      }
      case 'jump': case 'goto':
        target = { kind: t, chain: tok[k++] ?? '' };
        break;
      case 'return': target = { kind: 'return' }; break;
      case 'accept': target = { kind: 'accept' }; break;
      case 'drop': case 'reject': target = { kind: 'drop' }; break;
      case 'log': case 'xt': case 'limit': case 'notrack': case 'mark':
        if (t === 'xt') match.unknown.push(`xt ${tok[k++]} ${tok[k++] ?? ''}`.trim());
        break;
      default:
        // Parameters of statements we skip (log prefix "…", limit rate …) land here.
        break;
    }
  }
  return { table, family: tableFamily(table), chain, match, target, counters, text: line.replace(/\s+/g, ' ').trim(), line: lineNo, source, comment };
}
