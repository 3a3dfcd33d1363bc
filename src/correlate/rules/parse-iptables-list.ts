import {
  emptyMatch, familyOfAddresses, parseAddrMatch, parseCounterValue, parseNatTo, parsePortList, IPTABLES_BUILTIN_HOOKS,
  type ChainInfo, type NatRule, type RuleSet, type RuleTarget,
} from './rule.js';
import { normalizeProto } from './parse-iptables-save.js';

/**
 * Parses `iptables [-t nat] -L [-n] -v [--line-numbers] [-x]`. The listing does not name its
 * table: it is taken from `table` when given, else `nat` when a NAT target or a nat-only chain
 * appears, else `filter`. Nor its family: `ip6tables -L` is told by its addresses (`::/0`).
 */
export function parseIptablesList(text: string, source: string, table?: string): RuleSet {
  const rules: NatRule[] = [];
  const chains: ChainInfo[] = [];
  const skipped: string[] = [];
  const addrs: string[] = [];
  const lines = text.split(/\r?\n/);
  let chain: string | null = null;
  let hasNum = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    if (!trimmed) continue;
    const ch = /^Chain (\S+) \((?:policy (\S+)(?: (\S+) packets, (\S+) bytes)?|\d+ references?)\)/.exec(trimmed);
    if (ch) {
      chain = ch[1];
      const policy = ch[2] ?? null;
      chains.push({ table: '', family: null, name: chain, hook: policy ? IPTABLES_BUILTIN_HOOKS[chain] ?? null : null, type: null, priority: null, policy });
      continue;
    }
    if (/^(num\s+)?pkts\s+bytes\s+target/.test(trimmed)) {
      hasNum = trimmed.startsWith('num');
      continue;
    }
    if (!chain) continue;
    const rule = parseListRow(trimmed, hasNum, chain, i + 1, source);
    if (rule) {
      rules.push(rule);
      addrs.push(...addressTokens(trimmed));
    } else skipped.push(`${i + 1}: ${trimmed}`);
  }
  const family = familyOfAddresses(addrs);
  const nat = table ?? (rules.some((r) => ['dnat', 'snat', 'masquerade', 'redirect'].includes(r.target.kind))
    || chains.some((c) => c.name === 'POSTROUTING' || c.name === 'PREROUTING') ? 'nat' : 'filter');
  for (const r of rules) {
    r.table = nat;
    r.family = family;
  }
  for (const c of chains) {
    c.table = nat;
    c.type = nat;
    c.family = family;
  }
  return { source, format: 'iptables-list', rules, chains, skipped };
}

// Whole tokens only: `dpt:5000` and `to:172.17.0.2:5000` are not address columns. Any token, not
// the source and destination columns, since ip6tables may leave the opt column blank.
const V4_TOKEN = /^!?(\d{1,3}(?:\.\d{1,3}){3})(?:\/\d+)?$/;
const V6_TOKEN = /^!?([0-9a-f:.]+)(?:\/\d+)?$/i;

function addressTokens(row: string): string[] {
  const out: string[] = [];
  for (const t of row.split(/\s+/)) {
    const v4 = V4_TOKEN.exec(t);
    const v6 = v4 === null ? V6_TOKEN.exec(t) : null;
    if (v4 !== null) out.push(v4[1]);
    // `::` or eight groups: a MAC address (`MAC 02:42:ac:11:00:02`) has six.
    else if (v6 !== null && (v6[1].includes('::') || v6[1].split(':').length === 8)) out.push(v6[1]);
  }
  return out;
}

function parseListRow(line: string, hasNum: boolean, chain: string, lineNo: number, source: string): NatRule | null {
  const tok = line.split(/\s+/);
  let k = 0;
  if (hasNum) k++;
  if (!/^\d+[KMGT]?$/.test(tok[k] ?? '') || !/^\d+[KMGT]?$/.test(tok[k + 1] ?? '')) return null;
  const counters = { packets: parseCounterValue(tok[k]), bytes: parseCounterValue(tok[k + 1]) };
  k += 2;
  // A rule without a target leaves its column empty: then the next token is the protocol.
  let targetName = '';
  if (!/^(--|-f|!f)$/.test(tok[k + 2] ?? '') && /^(--|-f|!f)$/.test(tok[k + 1] ?? '')) {
    targetName = '';
  } else {
    targetName = tok[k++];
  }
  const proto = tok[k++];
  k++; // opt
  const inI = tok[k++];
  const outI = tok[k++];
  const src = tok[k++];
  const dst = tok[k++];
  if (dst === undefined) return null;
  const match = emptyMatch();
  const neg = (s: string) => s.startsWith('!');
  const bare = (s: string) => (neg(s) ? s.slice(1) : s);
  match.proto = normalizeProto(bare(proto));
  match.protoNegate = neg(proto);
  if (bare(inI) !== '*' && bare(inI) !== 'any') match.inIface = { name: bare(inI), negate: neg(inI) };
  if (bare(outI) !== '*' && bare(outI) !== 'any') match.outIface = { name: bare(outI), negate: neg(outI) };
  const addr = (s: string) => {
    const b = bare(s);
    if (b === 'anywhere' || b === '0.0.0.0/0' || b === '::/0') return null;
    return parseAddrMatch(b, neg(s));
  };
  match.src = addr(src);
  match.dst = addr(dst);
  const extra = tok.slice(k).join(' ');
  let target: RuleTarget = { kind: 'none' };
  let comment: string | null = null;
  const cm = /\/\* (.*?) \*\//.exec(extra);
  if (cm) comment = cm[1];
  const rest = extra.replace(/\/\* .*? \*\//, ' ');
  const ports = (re: RegExp) => {
    const m = re.exec(rest);
    return m ? parsePortList(m[2], m[1] === '!') : null;
  };
  match.dport = ports(/(?:^|\s)(!?)\s*dpts?:(\S+)/) ?? ports(/multiport dports (!?)\s*(\S+)/);
  match.sport = ports(/(?:^|\s)(!?)\s*spts?:(\S+)/) ?? ports(/multiport sports (!?)\s*(\S+)/);
  const dt = /ADDRTYPE match(?:.*?)dst-type (!?)\s*(\w+)/.exec(rest);
  if (dt) match.dstType = { type: dt[2].toUpperCase(), negate: dt[1] === '!' };
  const st = /ADDRTYPE match(?:.*?)src-type (!?)\s*(\w+)/.exec(rest);
  if (st) match.srcType = { type: st[2].toUpperCase(), negate: st[1] === '!' };
  if (/ctstate|state /.test(rest)) match.unknown.push(rest.trim());
  const to = /to:(\S+)/.exec(rest);
  switch (targetName) {
    case 'DNAT': target = { kind: 'dnat', to: to ? parseNatTo(to[1]) : { addr: null, portLo: null, portHi: null } }; break;
    case 'SNAT': target = { kind: 'snat', to: to ? parseNatTo(to[1]) : { addr: null, portLo: null, portHi: null } }; break;
    case 'MASQUERADE': {
      const mp = /masq ports: (\d+)(?:-(\d+))?/.exec(rest);
      target = { kind: 'masquerade', portLo: mp ? Number(mp[1]) : null, portHi: mp ? Number(mp[2] ?? mp[1]) : null, random: /\brandom/.test(rest) };
      break;
    }
    case 'REDIRECT': {
      const rp = /redir ports (\d+)(?:-(\d+))?/.exec(rest);
      target = { kind: 'redirect', portLo: rp ? Number(rp[1]) : null, portHi: rp ? Number(rp[2] ?? rp[1]) : null };
      break;
    }
    case 'RETURN': target = { kind: 'return' }; break;
    case 'ACCEPT': target = { kind: 'accept' }; break;
    case 'DROP': case 'REJECT': target = { kind: 'drop' }; break;
    case '': target = { kind: 'none' }; break;
    default: target = /^(LOG|MARK|CONNMARK|CT|TRACE|NFLOG|TCPMSS)$/.test(targetName) ? { kind: 'other', name: targetName } : { kind: 'jump', chain: targetName };
  }
  return { table: '', family: null, chain, match, target, counters, text: tok.slice(hasNum ? 3 : 2).join(' '), line: lineNo, source, comment };
}
