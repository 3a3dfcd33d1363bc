import {
  emptyMatch, parseAddrMatch, parseCounterValue, parseNatTo, parsePortList, IPTABLES_BUILTIN_HOOKS,
  type ChainInfo, type NatRule, type RuleSet, type RuleTarget,
} from './rule.js';

/** Splits an iptables argument line, honouring double quotes (`--comment "a b"`). */
export function tokenizeIptables(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return out;
}

/** Parses `iptables-save` output (with or without `-c` counters). */
export function parseIptablesSave(text: string, source: string): RuleSet {
  const rules: NatRule[] = [];
  const chains: ChainInfo[] = [];
  const skipped: string[] = [];
  let table = 'filter';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (!raw || raw.startsWith('#') || raw === 'COMMIT') continue;
    if (raw.startsWith('*')) {
      table = raw.slice(1).trim();
      continue;
    }
    if (raw.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)/.exec(raw);
      if (m) {
        const hook = m[2] !== '-' ? IPTABLES_BUILTIN_HOOKS[m[1]] ?? null : null;
        chains.push({ table, name: m[1], hook, type: table, priority: null, policy: m[2] === '-' ? null : m[2] });
      }
      continue;
    }
    let body = raw;
    let counters: NatRule['counters'] = null;
    const c = /^\[(\d+):(\d+)\]\s+(.*)$/.exec(body);
    if (c) {
      counters = { packets: parseCounterValue(c[1]), bytes: parseCounterValue(c[2]) };
      body = c[3];
    }
    const rule = parseIptablesArgs(tokenizeIptables(body), table, body, i + 1, source);
    if (!rule) {
      skipped.push(`${i + 1}: ${raw}`);
      continue;
    }
    rule.counters = counters ?? rule.counters;
    rules.push(rule);
  }
  return { source, format: 'iptables-save', rules, chains, skipped };
}

/** Parses one `-A CHAIN …` argument list into a rule; null when it is not an append. */
export function parseIptablesArgs(tok: string[], table: string, text: string, line: number, source: string): NatRule | null {
  if ((tok[0] !== '-A' && tok[0] !== '--append' && tok[0] !== '-I') || tok.length < 2) return null;
  const chain = tok[1];
  const match = emptyMatch();
  let target: RuleTarget = { kind: 'none' };
  let targetName: string | null = null;
  let counters: NatRule['counters'] = null;
  let comment: string | null = null;
  let negate = false;
  for (let k = 2; k < tok.length; k++) {
    const t = tok[k];
    const v = tok[k + 1];
    if (t === '!') {
      negate = true;
      continue;
    }
    const neg = negate;
    negate = false;
    switch (t) {
      case '-p': case '--protocol':
        match.proto = normalizeProto(v); match.protoNegate = neg; k++; break;
      case '-s': case '--source':
        match.src = parseAddrMatch(v, neg); k++; break;
      case '-d': case '--destination':
        match.dst = parseAddrMatch(v, neg); k++; break;
      case '-i': case '--in-interface':
        match.inIface = { name: v, negate: neg }; k++; break;
      case '-o': case '--out-interface':
        match.outIface = { name: v, negate: neg }; k++; break;
      case '--dport': case '--destination-port': case '--dports':
        match.dport = parsePortList(v, neg); k++; break;
      case '--sport': case '--source-port': case '--sports':
        match.sport = parsePortList(v, neg); k++; break;
      case '--dst-type':
        match.dstType = { type: v.toUpperCase(), negate: neg }; k++; break;
      case '--src-type':
        match.srcType = { type: v.toUpperCase(), negate: neg }; k++; break;
      case '-m': case '--match':
        k++; break; // the module's own options follow
      case '--comment':
        comment = v; k++; break;
      case '-j': case '--jump':
        targetName = v; k++; break;
      case '-g': case '--goto':
        target = { kind: 'goto', chain: v }; k++; break;
      case '--to-destination':
        target = { kind: 'dnat', to: parseNatTo(v) }; k++; break;
      case '--to-source':
        target = { kind: 'snat', to: parseNatTo(v) }; k++; break;
      case '--to-ports': {
        const m = /^(\d+)(?:-(\d+))?$/.exec(v ?? '');
        const lo = m ? Number(m[1]) : null;
        const hi = m ? (m[2] !== undefined ? Number(m[2]) : lo) : null;
        if (targetName === 'MASQUERADE') target = { kind: 'masquerade', portLo: lo, portHi: hi, random: target.kind === 'masquerade' && target.random };
        else if (targetName === 'REDIRECT') target = { kind: 'redirect', portLo: lo, portHi: hi };
        k++;
        break;
      }
      case '--random': case '--random-fully':
        if (target.kind === 'masquerade') target.random = true;
        else if (targetName === 'MASQUERADE') target = { kind: 'masquerade', portLo: null, portHi: null, random: true };
        break;
      case '-c': case '--set-counters':
        counters = { packets: parseCounterValue(v), bytes: parseCounterValue(tok[k + 2] ?? '0') }; k += 2; break;
      case '--ctstate': case '--state': case '--icmp-type': case '--tcp-flags': case '--mark': case '--persistent':
        if (t !== '--persistent') { match.unknown.push(`${neg ? '! ' : ''}${t} ${v}`); k++; }
        if (t === '--tcp-flags') k++;
        break;
      default:
        if (t.startsWith('-')) {
          match.unknown.push(`${neg ? '! ' : ''}${t}${v && !v.startsWith('-') ? ' ' + v : ''}`);
          if (v && !v.startsWith('-') && v !== '!') k++;
        }
    }
  }
  if (targetName) target = finishTarget(targetName, target);
  return { table, chain, match, target, counters, text: text.replace(/\s+/g, ' ').trim(), line, source, comment };
}

function finishTarget(name: string, partial: RuleTarget): RuleTarget {
  switch (name) {
    case 'DNAT': return partial.kind === 'dnat' ? partial : { kind: 'dnat', to: { addr: null, portLo: null, portHi: null } };
    case 'SNAT': return partial.kind === 'snat' ? partial : { kind: 'snat', to: { addr: null, portLo: null, portHi: null } };
    case 'MASQUERADE': return partial.kind === 'masquerade' ? partial : { kind: 'masquerade', portLo: null, portHi: null, random: false };
    case 'REDIRECT': return partial.kind === 'redirect' ? partial : { kind: 'redirect', portLo: null, portHi: null };
    case 'RETURN': return { kind: 'return' };
    case 'ACCEPT': return { kind: 'accept' };
    case 'DROP': case 'REJECT': return { kind: 'drop' };
    default:
      return EXTENSION_TARGETS.has(name) ? { kind: 'other', name } : { kind: 'jump', chain: name };
  }
}

// Anything else after -j is a user-defined chain.
const EXTENSION_TARGETS = new Set([
  'LOG', 'MARK', 'CONNMARK', 'CT', 'TRACE', 'NETMAP', 'TPROXY', 'NOTRACK', 'TCPMSS', 'CHECKSUM', 'NFLOG',
  'NFQUEUE', 'ULOG', 'SET', 'AUDIT', 'CLASSIFY', 'DSCP', 'TOS', 'TTL', 'HL', 'TEE', 'SECMARK',
  'CONNSECMARK', 'CLUSTERIP', 'IDLETIMER', 'LED', 'SYNPROXY', 'QUEUE',
]);

export function normalizeProto(p: string | undefined): string | null {
  if (!p) return null;
  const s = p.toLowerCase();
  if (s === 'all' || s === '0') return null;
  const byNumber: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'ipv6-icmp', '132': 'sctp' };
  return byNumber[s] ?? (s === 'icmpv6' ? 'ipv6-icmp' : s);
}
