/**
 * What each mechanism's correlation says, checked against docker-nat-facts.md with the values of
 * the lab's truth.json (never values computed by natflow itself).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures, type AnalyzeResult } from '../../src/correlate/analyze.js';
import { parseLinksDump } from '../../src/flows/interface-names.js';
import { correlationOfTruth, type Scenario, scenarios, scenariosByNumber, type TruthConversation } from './truth.js';
import { tsharkFields } from '../helpers/tools.js';
import { tempDir } from '../helpers/temp-dir.js';

const byName = scenariosByNumber();

async function run(s: Scenario, ifaces?: string[]): Promise<AnalyzeResult> {
  const files = ifaces ? ifaces.map((i) => s.perInterface[i]) : Object.values(s.perInterface);
  return analyzeCaptures(files);
}


function conv(s: Scenario, pred: (t: TruthConversation) => boolean): TruthConversation {
  const t = s.conversations.find(pred);
  if (!t) throw new Error(`${s.name}: no such truth conversation`);
  return t;
}

describe.skipIf(!byName.has('01'))('01 localhost through docker-proxy (the article)', () => {
  it('is the userland proxy, not DNAT: two connections, unrelated ISNs, the container sees the bridge address', async () => {
    const s = byName.get('01')!;
    const r = await run(s, ['lo', 'docker0']);
    const t = conv(s, (x) => x.mechanism === 'userland-proxy');
    const up = t.legs.find((l) => l.role === 'upstream')!.tuple;
    const c = correlationOfTruth(r, t);
    expect(c.mechanism).toBe('userland-proxy');
    const hop = c.hops.find((h) => h.mechanism === 'userland-proxy')!;
    expect(hop.fields.find((f) => f.field === 'isn')?.verdict).toBe('unrelated');
    expect(hop.fields.find((f) => f.field === 'payload')?.verdict).toBe('preserved');
    expect(c.evidence.some((e) => e.kind === 'payload')).toBe(true);
    const text = c.explanation.join(' ');
    expect(text).toMatch(/userland proxy|docker-proxy/);
    expect(text).toContain(up.src);
  });
});

describe.skipIf(!byName.has('02'))('02 external client through DNAT', () => {
  it('keeps ISN and source, rewrites the destination, decrements TTL', async () => {
    const s = byName.get('02')!;
    const r = await run(s);
    const t = conv(s, (x) => x.mechanism === 'dnat');
    const c = correlationOfTruth(r, t);
    expect(c.mechanism).toBe('dnat');
    const eth = r.flows.find((f) => f.id === c.legs[0])!;
    expect(eth.iface).toBe('eth0');
    const hop = c.hops[0];
    expect(hop.mechanism).toBe('dnat');
    const d = (t.translation as { dnat: { from: { ip: string; port: number }; to: { ip: string; port: number } } }).dnat;
    expect(hop.rewrite).toContain(`${d.from.ip}:${d.from.port} → ${d.to.ip}:${d.to.port}`);
    const field = (n: string) => hop.fields.find((f) => f.field === n)!;
    expect(field('isn').verdict).toBe('preserved');
    expect(field('src-ip').verdict).toBe('preserved');
    expect(field('dst-ip')).toMatchObject({ from: d.from.ip, to: d.to.ip, verdict: 'rewritten' });
    expect(field('ttl').verdict).toBe('shifted');
    expect(c.evidence.map((e) => e.detail)).toContain(`SYN ISN ${eth.fwd.isn} identical on eth0 and docker0`);
    expect(hop.latency).toBeGreaterThan(0);
  });

  it('with --rules names the DNAT rule, with --conntrack confirms the pair; without them says it inferred', async () => {
    const s = byName.get('02')!;
    const t = conv(s, (x) => x.mechanism === 'dnat');
    const d = (t.translation as { dnat: { to: { ip: string; port: number } } }).dnat;
    const bare = await run(s);
    expect(bare.analysis.inferences.some((i) => /no --rules/.test(i))).toBe(true);
    expect(correlationOfTruth(bare, t).hops[0].rule).toBeNull();
    const r = await analyzeCaptures(Object.values(s.perInterface), { rulesFile: join(s.dir, 'iptables-save.txt'), conntrackFile: join(s.dir, 'conntrack.txt') });
    const c = correlationOfTruth(r, t);
    expect(c.hops[0].rule?.text).toContain(`--to-destination ${d.to.ip}:${d.to.port}`);
    expect(c.hops[0].rule?.table).toBe('nat');
    expect(c.evidence.some((e) => e.kind === 'conntrack')).toBe(true);
    expect(c.notes.filter((n) => /contradicts/.test(n))).toEqual([]);
  });

  it('orders an -i any capture along the path: eth0, docker0, then the container port', async () => {
    const s = byName.get('02')!;
    const names = parseLinksDump(readFileSync(join(s.dir, 'ip-link.txt'), 'utf8'));
    const r = await analyzeCaptures([s.any!], { ifindexNames: names });
    const c = correlationOfTruth(r, conv(s, (x) => x.mechanism === 'dnat'));
    const ifaces = c.legs.map((l) => r.flows.find((f) => f.id === l)!.iface);
    expect(ifaces[0]).toBe('eth0');
    expect(ifaces[1]).toBe('docker0');
    expect(ifaces[2]).toMatch(/^veth/);
    expect(c.hops.map((h) => h.mechanism)).toEqual(['dnat', 'bridge']);
  });
});

describe.skipIf(!byName.has('02') || !byName.get('02')!.pcapng)('one interface recorded in two files', () => {
  it('is one leg, the copy is reported, not chained as another hop', async () => {
    const s = byName.get('02')!;
    const r = await analyzeCaptures([s.perInterface.eth0, s.perInterface.docker0, s.pcapng!]);
    const c = correlationOfTruth(r, conv(s, (x) => x.mechanism === 'dnat'));
    const ifaces = c.legs.map((l) => r.flows.find((f) => f.id === l)!.iface);
    expect(new Set(ifaces).size).toBe(ifaces.length);
    expect(c.mechanism).toBe('dnat');
    // The pcapng's eth0 and docker0 flows are listed as copies of the legs on the same interface.
    expect(c.copies.length).toBeGreaterThanOrEqual(2);
    const ifaceOf = (id: string) => r.flows.find((f) => f.id === id)!.iface;
    for (const x of c.copies) {
      expect(c.legs).toContain(x.sameAs);
      expect(ifaceOf(x.flow)).toBe(ifaceOf(x.sameAs));
    }
    expect(c.notes.some((n) => n.startsWith('also recorded in another file'))).toBe(true);
    expect(r.analysis.unpaired.filter((id) => r.flows.find((f) => f.id === id)!.proto === 6)).toEqual([]);
  });
});

describe.skipIf(!byName.has('04'))('04 MASQUERADE port collision', () => {
  it('reports the remapped source port and ICMP id with the real values', async () => {
    const s = byName.get('04')!;
    const r = await run(s);
    for (const t of s.conversations) {
      const c = correlationOfTruth(r, t);
      expect(c.mechanism).toBe('snat');
      const sn = t.translation!.snat!;
      const from = sn.from.port ?? sn.from.icmpId;
      const to = sn.to.port ?? sn.to.icmpId;
      const remap = c.notes.filter((n) => /remapped/.test(n));
      if (from === to) expect(remap).toEqual([]);
      else expect(remap.join(' ')).toContain(`${from} → ${to}`);
    }
  });
});

describe.skipIf(!byName.has('06'))('06 localhost without the proxy', () => {
  it('joins the two tuples of one connection on docker0 and calls it DNAT + MASQUERADE', async () => {
    const s = byName.get('06')!;
    const r = await run(s, ['docker0']);
    const t = conv(s, (x) => x.mechanism === 'dnat+snat');
    const c = correlationOfTruth(r, t);
    expect(c.mechanism).toBe('dnat+snat');
    expect(c.legs).toHaveLength(2);
    const origin = t.legs.find((l) => l.interfaces.length === 0)!.tuple;
    expect(c.notes.join(' ')).toContain(`${origin.src}:${origin.sport}`);
  });
});

describe.skipIf(!byName.has('09'))('09 published port with nothing listening', () => {
  it('says the proxy accepted but its upstream was refused', async () => {
    const s = byName.get('09')!;
    const r = await run(s);
    const c = correlationOfTruth(r, conv(s, (x) => x.mechanism === 'userland-proxy'));
    expect(c.mechanism).toBe('userland-proxy');
    expect(c.notes.join(' ')).toMatch(/refused/);
    expect(c.confidence).toBeLessThan(0.9);
  });
});

/**
 * Which rule did a rewrite is read off the ruleset's own packet counters (iptables-save -c,
 * recorded right after the traffic): the rule natflow names must be one that counted packets.
 */
describe('--rules names the rule that fired, walking the chains with the interfaces netfilter sees', () => {
  /** The counted packets of the rule at `source` (file:line) in its iptables-save dump. */
  const counted = (source: string | undefined): number => {
    const m = /^(.*):(\d+)$/.exec(source ?? '')!;
    const line = readFileSync(m[1], 'utf8').split('\n')[Number(m[2]) - 1];
    return Number(/^\[(\d+):\d+\]/.exec(line)![1]);
  };

  for (const name of ['05b', '12']) {
    it(`${name}: the hairpin's MASQUERADE is Docker's -s C -d C rule (the packet leaves on docker0, so \`! -o docker0\` cannot match)`, async () => {
      const s = byName.get(name);
      if (!s) return;
      const t = conv(s, (x) => x.mechanism === 'dnat+snat');
      const to = (t.translation as { dnat: { to: { ip: string; port: number } } }).dnat.to;
      const rulesFile = join(s.dir, 'iptables-save.txt');
      const r = await analyzeCaptures(Object.values(s.perInterface), { rulesFile });
      const c = correlationOfTruth(r, t);
      const snat = c.hops.find((h) => h.mechanism === 'snat')!;
      expect(snat.rule!.text).toBe(`-A POSTROUTING -s ${to.ip}/32 -d ${to.ip}/32 -p tcp -m tcp --dport ${to.port} -j MASQUERADE`);
      expect(counted(snat.rule!.source)).toBeGreaterThan(0);
      const dnat = c.hops.find((h) => h.mechanism === 'dnat')!;
      expect(counted(dnat.rule!.source)).toBeGreaterThan(0);
      // The explanation credits each rewrite to its own rule, DNAT first.
      const step = c.explanation.find((x) => x.includes('the hairpin MASQUERADE'))!;
      expect(step.indexOf(dnat.rule!.text)).toBeGreaterThan(0);
      expect(step.indexOf(snat.rule!.text)).toBeGreaterThan(step.indexOf(dnat.rule!.text));
      // One conntrack entry covers both rewrites: both are confirmed, as both were attributed.
      const both = await analyzeCaptures(Object.values(s.perInterface), { rulesFile, conntrackFile: join(s.dir, 'conntrack.txt') });
      expect(both.analysis.inferences.join('\n')).toMatch(/2 of 2 kernel rewrites attributed to a rule[\s\S]*: \d+ entries; 2 hop\(s\) confirmed, 0 contradicted, 0 not in the dump/);
    });
  }

  for (const name of ['06', '14b']) {
    it(`${name}: a host process's connection (DNAT in OUTPUT) gets Docker's MASQUERADE of LOCAL sources, not a contradiction`, async () => {
      const s = byName.get(name);
      if (!s) return;
      const t = conv(s, (x) => x.mechanism === 'dnat+snat');
      const r = await analyzeCaptures(Object.values(s.perInterface), { rulesFile: join(s.dir, 'iptables-save.txt') });
      const c = correlationOfTruth(r, t);
      const hop = c.hops.find((h) => h.mechanism === 'dnat+snat')!;
      expect(hop.rule!.text).toMatch(/-j DNAT --to-destination/);
      expect(hop.rule!.also!.map((x) => x.text)).toEqual(['-A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE']);
      expect(counted(hop.rule!.also![0].source)).toBeGreaterThan(0);
      expect(r.analysis.inferences.filter((i) => i.startsWith('contradiction'))).toEqual([]);
      // The source rewrite is credited to the MASQUERADE rule, in the evidence too.
      expect(c.evidence.find((e) => e.kind === 'rule')!.detail).toContain('then nat/POSTROUTING: -A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE');
      // From a loopback source the destination was a local address DNATed before any capture
      // point: not "preserved". From the host's own address a direct connection to the container
      // would look the same: no verdict then.
      const dst = hop.fields.find((f) => f.field === 'dst-ip');
      if (name === '06') expect(dst).toMatchObject({ from: '—', verdict: 'rewritten' });
      else expect(dst).toBeUndefined();
    });
  }
});

describe('conversations first, background noise after', () => {
  it('06: the IGMP report bridged to both containers is numbered after the conversation, which is c1', async () => {
    const s = byName.get('06');
    if (!s) return;
    const r = await run(s);
    const ids = r.analysis.correlations.map((c) => c.id);
    expect(ids).toEqual(ids.map((_, i) => `c${i + 1}`));
    const t = conv(s, (x) => x.mechanism === 'dnat+snat');
    expect(correlationOfTruth(r, t).id).toBe('c1');
    const igmp = r.analysis.correlations.filter((c) => r.flowsById.get(c.legs[0])!.proto === 2);
    expect(igmp.length).toBeGreaterThan(0);
    expect(igmp.every((c) => c.mechanism === 'bridge' && Number(c.id.slice(1)) > 1)).toBe(true);
  });
});

describe('the summary and the list agree on what is background noise', () => {
  // Told apart by the test's own reading of the lead flow: IGMP, ICMPv6 neighbor discovery or MLD,
  // or a multicast or broadcast destination.
  const noiseLike = (r: AnalyzeResult, c: AnalyzeResult['analysis']['correlations'][number]): boolean => {
    const f = r.flowsById.get(c.legs[0])!;
    const ip = f.dst.ip;
    const group = /^ff[0-9a-f]{2}:/.test(ip) || ip === '255.255.255.255' || (ip.includes('.') && Number(ip.split('.')[0]) >= 224 && Number(ip.split('.')[0]) <= 239);
    // MLD queries, reports and done (130-132, 143); router and neighbor solicitation, advertisement and redirect (133-137).
    const ndOrMld = f.proto === 58 && f.icmp !== null && ((f.icmp.type >= 130 && f.icmp.type <= 137) || f.icmp.type === 143);
    return c.mechanism === 'bridge' && (f.proto === 2 || ndOrMld || group);
  };
  for (const s of scenarios()) {
    const forms: [string, string[]][] = [['per-interface files', Object.values(s.perInterface)]];
    if (s.any) forms.push(['-i any', [s.any]]);
    if (s.pcapng) forms.push(['pcapng', [s.pcapng]]);
    for (const [form, files] of forms) {
      it(`${s.name} (${form}): the conversations the summary counts come first, then only noise, whose packets it counts`, async () => {
        const r = await analyzeCaptures(files);
        const summary = r.analysis.summary.replace(/\s+/g, ' ');
        const m = /^(\d+) conversations?:/.exec(summary);
        const counted = m ? Number(m[1]) : 0;
        if (!m) expect(summary).toMatch(/^No conversations were paired/);
        const cs = r.analysis.correlations;
        const conversations = cs.filter((c) => c.mechanism !== 'none').slice(0, counted);
        const last = conversations.length === 0 ? -1 : cs.indexOf(conversations[conversations.length - 1]);
        const after = cs.slice(last + 1).filter((c) => c.mechanism !== 'none');
        expect(conversations.length).toBe(counted);
        for (const c of conversations) expect(noiseLike(r, c), `${c.id} counted as a conversation`).toBe(false);
        for (const c of after) expect(noiseLike(r, c), `${c.id} after the counted conversations`).toBe(true);
        const packets = after.reduce((n, c) => n + Math.max(1, r.flowsById.get(c.legs[0])!.fwd.packets + r.flowsById.get(c.legs[0])!.rev.packets), 0);
        const told = [...summary.matchAll(/(\d+) (?:multicast packets?|multicast or broadcast packets?|IPv6 neighbor discovery or MLD packets?) (?:bridged|seen)/g)].reduce((n, x) => n + Number(x[1]), 0);
        expect(told).toBe(packets);
      });
    }
  }
});

describe('14b: a host process on the host\'s own address, userland-proxy=false', () => {
  it('without --conntrack the DNAT in OUTPUT is the likely reading, and the other way to the same capture is named; with it, the entry decides', async () => {
    const s = byName.get('14b');
    if (!s) return;
    const t = conv(s, (x) => x.mechanism === 'dnat+snat');
    const bare = correlationOfTruth(await run(s), t);
    const client = t.legs.find((l) => l.role === 'local-origin')!.tuple.src;
    expect(bare.explanation.join(' ')).toContain(`the one other way to this capture is a process that bound its socket to ${client}`);
    expect(bare.hops.find((h) => h.mechanism === 'dnat+snat')!.rewrite).toContain('most likely happened in nat OUTPUT');
    const ct = await analyzeCaptures(Object.values(s.perInterface), { conntrackFile: join(s.dir, 'conntrack.txt') });
    expect(correlationOfTruth(ct, t).explanation.join(' ')).not.toContain('the one other way');
  });
});

describe('18: a user-defined network read from an -i any capture without interface names', () => {
  it('Docker\'s per-bridge RETURN rule is not said to be docker0\'s: the bridge is br-<id> here, and unnamed in the capture', async () => {
    const s = byName.get('18');
    if (!s?.any) return;
    const save = readFileSync(join(s.dir, 'iptables-save.txt'), 'utf8');
    const bridge = /-A DOCKER -i (br-[0-9a-f]+) -j RETURN/.exec(save)![1];
    const r = await analyzeCaptures([s.any]);
    const text = r.analysis.correlations.map((c) => c.explanation.join(' ')).join(' ');
    expect(text).toContain('`-A DOCKER -i <its bridge> -j RETURN`, docker0 or a network\'s br-<id>,');
    expect(text).not.toContain('-i docker0 -j RETURN');
    // Named, the rule is the network's own.
    const named = await analyzeCaptures(Object.values(s.perInterface));
    expect(named.analysis.correlations.map((c) => c.explanation.join(' ')).join(' ')).toContain(`-A DOCKER -i ${bridge} -j RETURN`);
  });
});

describe('15b: docker0 holds a partial view of a container\'s DNATed call to another container', () => {
  it('says how many of the packets docker0 shows against the container port, and why, as derived', async () => {
    const s = byName.get('15b');
    if (!s) return;
    const t = conv(s, (x) => x.mechanism === 'dnat');
    const r = await run(s);
    const c = correlationOfTruth(r, t);
    const legs = c.legs.map((id) => r.flowsById.get(id)!);
    const bridge = legs.find((f) => f.iface === 'docker0')!;
    const port = legs[legs.length - 1];
    const n = (f: typeof port) => f.fwd.packets + f.rev.packets;
    expect(n(bridge)).toBe(1);
    expect(c.explanation.join(' ')).toContain(`But docker0 shows only 1 of the ${n(port)} packets ${port.iface} shows (the first)`);
    // Where the bridge saw the whole connection (02), nothing of the kind is said.
    const s02 = byName.get('02')!;
    const c02 = correlationOfTruth(await run(s02), conv(s02, (x) => x.mechanism === 'dnat'));
    expect(c02.explanation.join(' ')).not.toContain('partial view');
  });
});

describe('17: background noise counted in packets, and told as the frames went', () => {
  it('the summary counts the bridged neighbor discovery and MLD packets docker0 holds (tshark), and a frame between a container and the host is not "between ports"', async () => {
    const { hasCommand, tsharkFields } = await import('../helpers/tools.js');
    const s = byName.get('17');
    if (!s || !hasCommand('tshark')) return;
    const onBridge = tsharkFields(s.perInterface.docker0, 'icmpv6', ['frame.number']).length;
    const r = await run(s);
    expect(r.analysis.summary.replace(/\s+/g, ' ')).toContain(`${onBridge} IPv6 neighbor discovery or MLD packets bridged as background noise`);
    const unicast = r.analysis.correlations.filter((c) => {
      const f = r.flowsById.get(c.legs[0])!;
      return c.mechanism === 'bridge' && f.proto === 58 && !f.dst.ip.startsWith('ff');
    });
    expect(unicast.length).toBeGreaterThan(0);
    for (const c of unicast) {
      const text = c.explanation.join(' ');
      expect(text).not.toContain('between its ports');
      expect(text).toMatch(/carried the frame between (docker0 \(the host's side of the bridge\) and veth\w+ \(the container's port\)|veth\w+ \(the container's port\) and docker0 \(the host's side of the bridge\))/);
    }
  });
});

describe('no-proxy localhost (06, 09b, 10b): what the client opened', () => {
  it('with --conntrack the explanation names the address and port the process used, as the entry holds it; a refused one "tried to open"', async () => {
    for (const name of ['06', '10b']) {
      const s = byName.get(name);
      if (!s) continue;
      const t = conv(s, (x) => x.mechanism === 'dnat+snat');
      const d = (t.translation as { dnat: { from: { ip: string; port: number } } }).dnat.from;
      const r = await analyzeCaptures(Object.values(s.perInterface), { conntrackFile: join(s.dir, 'conntrack.txt') });
      expect(correlationOfTruth(r, t).explanation[0]).toContain(`to ${d.ip}:${d.port}, a port published on the host (the --conntrack entry shows it)`);
      // Without the dump the address is on no wire: not named.
      expect(correlationOfTruth(await run(s), t).explanation[0]).toContain('to a port published on the host.');
    }
    const s = byName.get('09b');
    if (!s) return;
    const r = await run(s);
    const refused = r.analysis.correlations.filter((c) => c.mechanism === 'dnat+snat' && c.legs.some((l) => r.flowsById.get(l)!.state === 'rejected'));
    expect(refused.length).toBeGreaterThan(0);
    for (const c of refused) expect(c.explanation[0]).toMatch(/^The client \S+ tried to open a TCP connection/);
  });
});

describe.skipIf(!byName.has('03'))('03: a container\'s egress captured on docker0 and its veth only', () => {
  it('is bridged, the container\'s port first, even where both copies hold the same microsecond; never "DNAT in nat OUTPUT"', async () => {
    const s = byName.get('03')!;
    const veth = Object.keys(s.perInterface).find((i) => i.startsWith('veth'))!;
    const r = await run(s, ['docker0', veth]);
    for (const t of s.conversations.filter((x) => x.mechanism === 'snat')) {
      const c = correlationOfTruth(r, t);
      expect(c.mechanism, t.id).toBe('bridge');
      // The container's packets cross its port, then the bridge (MASQUERADE happens beyond, on eth0).
      expect(c.legs.map((l) => r.flowsById.get(l)!.iface), t.id).toEqual([veth, 'docker0']);
      expect(c.notes.join(' '), t.id).not.toContain('nat OUTPUT');
    }
  });

  it('the same when the veth\'s capture began a packet later, after the SYN docker0 holds', async () => {
    const s = byName.get('03')!;
    const veth = Object.keys(s.perInterface).find((i) => i.startsWith('veth'))!;
    const t = s.conversations.find((x) => x.mechanism === 'snat' && x.proto === 'tcp')!;
    const inside = t.legs.find((l) => l.interfaces.includes('docker0'))!.tuple;
    // The container's SYN crossed its veth first: from docker0's copy on, the veth misses it.
    const syn = tsharkFields(s.perInterface.docker0, `tcp.srcport == ${inside.sport} && tcp.flags.syn == 1`, ['frame.time_epoch'])[0][0];
    const dir = tempDir('natflow-03syn-');
    const files = ['docker0', veth].map((i) => {
      const f = join(dir, `${i}.pcap`);
      execFileSync('editcap', ['-A', syn, s.perInterface[i], f]);
      return f;
    });
    expect(tsharkFields(files[1], `tcp.srcport == ${inside.sport} && tcp.flags.syn == 1`, ['frame.number'])).toEqual([]);
    const r = await analyzeCaptures(files);
    const c = correlationOfTruth(r, t);
    expect(c.mechanism).toBe('bridge');
    expect(c.legs.map((l) => r.flowsById.get(l)!.iface)).toEqual([veth, 'docker0']);
    expect(c.notes.join(' ')).not.toContain('nat OUTPUT');
  });
});
