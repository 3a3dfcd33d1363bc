import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  attributeRule, corroborate, findContradictions, forwardDropRule, parseConntrack, parseRules,
  type HopToAttribute, type RuleSet,
} from '../../src/correlate/rules/index.js';
import { capturesDir as captures, repoRoot } from '../helpers/paths.js';

const fixtures = join(repoRoot, 'test/explain/fixtures');
const load = (dir: string, name: string): RuleSet => parseRules(readFileSync(join(dir, name), 'utf8'), name);

const tcp = (s: string, d: string) => {
  const [sip, sp] = s.split(':');
  const [dip, dp] = d.split(':');
  return { proto: 'tcp', src: { ip: sip, port: Number(sp) }, dst: { ip: dip, port: Number(dp) } };
};

// The published ports of the Docker 27 fixture, as written in its source ruleset.
const DOCKER27_DNATS = [
  { port: 5000, to: '172.17.0.2', toPort: 5000 },
  { port: 8080, to: '172.17.0.3', toPort: 80 },
];

describe('parseRules on real dumps of one Docker 27 ruleset', () => {
  for (const file of ['docker27-proxy.iptables-save.txt', 'docker27-proxy.iptables-nat-L.txt', 'docker27-proxy.nft-ruleset.txt']) {
    it(`${file}: every DNAT for a published port, with its target and counters`, () => {
      const set = load(fixtures, file);
      const dnats = set.rules.filter((r) => r.target.kind === 'dnat');
      expect(dnats).toHaveLength(DOCKER27_DNATS.length);
      for (const want of DOCKER27_DNATS) {
        const r = dnats.find((x) => x.match.dport?.ranges[0][0] === want.port);
        expect(r, `DNAT for ${want.port}`).toBeDefined();
        if (r?.target.kind !== 'dnat') throw new Error('not dnat');
        expect(r.target.to).toEqual({ addr: want.to, portLo: want.toPort, portHi: want.toPort });
        expect(r.match.proto).toBe('tcp');
        expect(r.match.inIface).toEqual({ name: 'docker0', negate: true });
      }
      // Counters restored with iptables-restore -c: 7 packets / 420 bytes on the 5000 DNAT.
      const d5000 = dnats.find((x) => x.match.dport?.ranges[0][0] === 5000);
      expect(d5000?.counters).toEqual({ packets: 7, bytes: 420 });
      const masq = set.rules.filter((r) => r.target.kind === 'masquerade');
      expect(masq).toHaveLength(3);
      expect(set.skipped).toEqual([]);
    });
  }

  it('the Docker 29 nftables layout: DNAT in nat-prerouting-and-output, masquerade behind a vmap', () => {
    const set = load(fixtures, 'docker29-nftables.nft-ruleset.txt');
    const dnat = set.rules.find((r) => r.target.kind === 'dnat');
    expect(dnat?.table).toBe('ip docker-bridges');
    expect(dnat?.chain).toBe('nat-prerouting-and-output');
    expect(dnat?.comment).toBe('DNAT');
    const vmaps = set.rules.filter((r) => r.target.kind === 'vmap');
    expect(vmaps.length).toBe(4);
    const post = set.chains.find((c) => c.name === 'nat-POSTROUTING');
    expect(post).toMatchObject({ hook: 'postrouting', type: 'nat', priority: 100 });
  });
});

describe('attributeRule', () => {
  // A remote client reaching the published port (scenario 02's tuples).
  const dnatHop: HopToAttribute = {
    mechanism: 'dnat', before: tcp('198.18.0.2:48384', '198.18.0.1:5000'), after: tcp('198.18.0.2:48384', '172.17.0.2:5000'),
    ingressIface: 'eth0', egressIface: 'docker0',
  };
  const snatHop: HopToAttribute = {
    mechanism: 'snat', before: tcp('172.17.0.2:40000', '198.18.0.2:8080'), after: tcp('198.18.0.1:40000', '198.18.0.2:8080'),
    ingressIface: 'docker0', egressIface: 'eth0',
  };

  for (const file of ['docker27-proxy.iptables-save.txt', 'docker27-proxy.iptables-nat-L.txt', 'docker27-proxy.nft-ruleset.txt']) {
    it(`${file}: the DOCKER-chain DNAT for a dnat hop, the subnet MASQUERADE for an snat hop`, () => {
      const set = load(fixtures, file);
      const d = attributeRule(dnatHop, set);
      expect(d?.chain).toBe('DOCKER');
      expect(d?.text).toMatch(/5000/);
      expect(d?.text).toMatch(/172\.17\.0\.2:5000/);
      expect(d?.source).toMatch(new RegExp(`^${file}:\\d+$`));
      const s = attributeRule(snatHop, set);
      expect(s?.chain).toBe('POSTROUTING');
      expect(s?.text).toMatch(/172\.17\.0\.0\/16/);
      expect(s?.text).toMatch(/MASQUERADE|masquerade/);
    });
  }

  it('Docker 28 and 29 layouts, found by semantics not chain names', () => {
    const hop8080 = { ...dnatHop, before: tcp('198.18.0.2:41000', '198.18.0.1:8080'), after: tcp('198.18.0.2:41000', '172.17.0.2:80') };
    const r28 = attributeRule(hop8080, load(fixtures, 'docker28-proxy.iptables-save.txt'));
    expect(r28?.text).toContain('--to-destination 172.17.0.2:80');
    const nft29 = load(fixtures, 'docker29-nftables.nft-ruleset.txt');
    const r29 = attributeRule(hop8080, nft29);
    expect(r29).toMatchObject({ table: 'ip docker-bridges', chain: 'nat-prerouting-and-output' });
    const s29 = attributeRule(snatHop, nft29);
    expect(s29).toMatchObject({ chain: 'nat-postrouting-out__docker0' });
    expect(s29?.text).toContain('masquerade');
  });

  it('the proxy layout cannot DNAT 127.0.0.1 (OUTPUT excludes 127.0.0.0/8): no rule, and a contradiction', () => {
    const hop: HopToAttribute = { mechanism: 'dnat', before: tcp('127.0.0.1:46838', '127.0.0.1:5000'), after: tcp('127.0.0.1:46838', '172.17.0.2:5000'), ingressIface: 'lo' };
    const set = load(fixtures, 'docker27-proxy.iptables-save.txt');
    expect(attributeRule(hop, set)).toBeNull();
    const c = findContradictions(set, [hop]);
    expect(c.filter((x) => x.kind === 'unexplained-rewrite')).toHaveLength(1);
  });

  it('scenario 06 (no proxy, localhost): DNAT in OUTPUT plus MASQUERADE from LOCAL, from the recorded iptables-save', () => {
    const set = load(join(captures, '06-localhost-noproxy'), 'iptables-save.txt');
    // Tuples from the recorded conntrack.txt of the same scenario.
    const hop: HopToAttribute = { mechanism: 'dnat+snat', before: tcp('127.0.0.1:53114', '127.0.0.1:5000'), after: tcp('172.17.0.1:53114', '172.17.0.2:5000'), ingressIface: 'lo', egressIface: 'docker0' };
    const r = attributeRule(hop, set);
    expect(r?.text).toContain('--to-destination 172.17.0.2:5000');
    expect(r?.also?.[0].text).toContain('--src-type LOCAL');
    expect(r?.also?.[0].text).toContain('MASQUERADE');
  });

  it('scenario 05b (no proxy, hairpin): DNAT plus the per-port hairpin MASQUERADE', () => {
    const set = load(join(captures, '05b-hairpin-noproxy'), 'iptables-save.txt');
    const hop: HopToAttribute = { mechanism: 'dnat+snat', before: tcp('172.17.0.2:47976', '198.18.0.1:5000'), after: tcp('172.17.0.1:47976', '172.17.0.2:5000'), ingressIface: 'docker0', egressIface: 'docker0' };
    const r = attributeRule(hop, set);
    expect(r?.text).toContain('DNAT');
    expect(r?.also?.[0].text).toContain('-s 172.17.0.2/32 -d 172.17.0.2/32');
  });

  it('findContradictions: a DNAT rule whose port never appears', () => {
    const set = load(fixtures, 'docker27-proxy.iptables-save.txt');
    const dnatHop5000: HopToAttribute = { ...dnatHop };
    const c = findContradictions(set, [dnatHop5000], { seenDstPorts: [5000, 53] });
    const unused = c.filter((x) => x.kind === 'unused-dnat');
    expect(unused).toHaveLength(1);
    expect(unused[0].detail).toContain('8080');
    expect(c.some((x) => x.kind === 'unexplained-rewrite')).toBe(false);
  });
});

describe('protocols other than tcp/udp/icmp', () => {
  // analyze names a hop's protocol as the summaries do (`gre`); iptables-save may print it by
  // number or by name: either rule is the one behind the rewrite.
  for (const p of ['47', 'gre']) {
    it(`-p ${p} matches a gre hop, given by name or by number`, () => {
      const dump = ['*nat', ':PREROUTING ACCEPT [0:0]', `-A PREROUTING -d 198.18.0.1/32 -p ${p} -j DNAT --to-destination 172.17.0.9`, 'COMMIT', ''].join('\n');
      const set = parseRules(dump, 'gre.rules');
      for (const proto of ['gre', 47]) {
        const hop: HopToAttribute = {
          mechanism: 'dnat', before: { proto, src: { ip: '198.18.0.2', port: -1 }, dst: { ip: '198.18.0.1', port: -1 } },
          after: { proto, src: { ip: '198.18.0.2', port: -1 }, dst: { ip: '172.17.0.9', port: -1 } }, ingressIface: 'eth0',
        };
        expect(attributeRule(hop, set)?.text, String(proto)).toMatch(/DNAT --to-destination 172\.17\.0\.9/);
      }
    });
  }
});

describe('conntrack', () => {
  it('parses the recorded port-collision table: orig/reply tuples, ICMP ids, flags', () => {
    const entries = parseConntrack(readFileSync(join(captures, '04-port-collision/conntrack.txt'), 'utf8'));
    const lines = readFileSync(join(captures, '04-port-collision/conntrack.txt'), 'utf8').split('\n').filter((l) => l.includes('src='));
    expect(entries).toHaveLength(lines.length);
    const tcp3 = entries.find((e) => e.proto === 'tcp' && e.orig.src === '172.17.0.3');
    expect(tcp3?.state).toBe('TIME_WAIT');
    expect(tcp3?.flags).toContain('ASSURED');
    // MASQUERADE remapped the colliding source port: the reply goes to another port.
    expect(tcp3?.orig.sport).not.toBe(tcp3?.reply.dport);
    const icmp = entries.filter((e) => e.proto === 'icmp');
    expect(icmp.length).toBe(2);
    expect(icmp.every((e) => e.orig.icmpId === 4242)).toBe(true);
    const unreplied = entries.find((e) => e.flags.includes('UNREPLIED'));
    expect(unreplied?.proto).toBe('unknown');
  });

  it('corroborates a DNAT hop with the recorded entry and rejects a wrong translation', () => {
    const entries = parseConntrack(readFileSync(join(captures, '02-external-dnat/conntrack.txt'), 'utf8'));
    const hop: HopToAttribute = { mechanism: 'dnat', before: tcp('198.18.0.2:48384', '198.18.0.1:5000'), after: tcp('198.18.0.2:48384', '172.17.0.2:5000') };
    expect(corroborate(entries, hop).verdict).toBe('confirms');
    expect(corroborate(entries, { ...hop, after: tcp('198.18.0.2:48384', '172.17.0.3:5000') }).verdict).toBe('contradicts');
    expect(corroborate(entries, { ...hop, before: tcp('198.18.0.2:1', '198.18.0.1:5000') }).verdict).toBe('absent');
  });

  it('corroborates the userland proxy: two un-NATed connections (scenario 01)', () => {
    const text = readFileSync(join(captures, '01-localhost-proxy/conntrack.txt'), 'utf8');
    const entries = parseConntrack(text);
    const truth = JSON.parse(readFileSync(join(captures, '01-localhost-proxy/truth.json'), 'utf8')) as {
      conversations: { legs: { tuple: { src: string; sport: number; dst: string; dport: number } }[] }[];
    };
    const [client, upstream] = truth.conversations[0].legs.map((l) => l.tuple);
    const hop: HopToAttribute = {
      mechanism: 'userland-proxy',
      before: tcp(`${client.src}:${client.sport}`, `${client.dst}:${client.dport}`),
      after: tcp(`${upstream.src}:${upstream.sport}`, `${upstream.dst}:${upstream.dport}`),
    };
    const c = corroborate(entries, hop);
    expect(c.verdict).toBe('confirms');
    expect(c.evidence.detail).toContain('two un-NATed connections');
  });
});

describe('forwardDropRule: what FORWARD does with a packet the host forwards', () => {
  // The same Docker 27 layout dumped by iptables-save and by nft (fixtures/README.md).
  for (const f of ['docker27-proxy.iptables-save.txt', 'docker27-proxy.nft-ruleset.txt']) {
    it(`${f}: a published container's reply and a new call to its port pass; a call to an unpublished port meets the DROP policy`, () => {
      const set = load(fixtures, f);
      const reply = { proto: 'tcp', src: { ip: '172.17.0.2', port: 5000 }, dst: { ip: '198.18.0.2', port: 40000 }, inIface: 'docker0', outIface: 'eth0', ctstate: 'ESTABLISHED' };
      expect(forwardDropRule(set, reply)).toBeNull();
      const call = { proto: 'tcp', src: { ip: '198.18.0.2', port: 40000 }, dst: { ip: '172.17.0.2', port: 5000 }, inIface: 'eth0', outIface: 'docker0', ctstate: 'NEW' };
      expect(forwardDropRule(set, call)).toBeNull();
      expect(forwardDropRule(set, { ...call, dst: { ip: '172.17.0.2', port: 6000 } })).toBe('policy');
      // Established traffic to the bridge is let through by the conntrack rule, whatever its port.
      expect(forwardDropRule(set, { ...call, dst: { ip: '172.17.0.2', port: 6000 }, ctstate: 'ESTABLISHED' })).toBeNull();
    });
  }
});
