import { describe, expect, it } from 'vitest';
import { explainCorrelation, summarizeAnalysis } from '../../src/explain/index.js';
import type { Analysis, Correlation } from '../../src/correlate/model.js';
import { loadScenario, type Scenario } from './scenario.js';

// Correlations here are the lab's truth.json applied to flows read from the recorded pcaps,
// so each explanation is checked against docker-nat-facts.md on real Flow records.
const cache = new Map<string, Promise<Scenario>>();
const scenario = (name: string) => {
  if (!cache.has(name)) cache.set(name, loadScenario(name));
  return cache.get(name)!;
};
const explain = async (name: string, id?: string, notes: string[] = []) => {
  const s = await scenario(name);
  const c = s.correlations.find((x) => !id || x.id === id)!;
  expect(c, `${name} ${id ?? ''}`).toBeDefined();
  return explainCorrelation({ ...c, notes }, s.flows, { capturedIfaces: s.ifaces }).join('\n');
};

describe('explainCorrelation against docker-nat-facts.md', () => {
  it('localhost with the proxy (01): names the userland proxy, two connections, 172.17.0.1 not 127.0.0.1, not DNAT', async () => {
    const t = await explain('01-localhost-proxy');
    expect(t).toContain('userland proxy (docker-proxy)');
    expect(t).toMatch(/second, separate TCP connection from 172\.17\.0\.1:\d+ to the container at 172\.17\.0\.2:5000/);
    expect(t).toMatch(/saw the client as 172\.17\.0\.1 .*not 127\.0\.0\.1/);
    expect(t).toContain('not DNAT');
    expect(t).toContain('127.0.0.0/8');
    // The correction is made once.
    expect(t.match(/DNAT \+ MASQUERADE/g)).toHaveLength(1);
    expect(t).toContain(' on lo');
    expect(t).toContain('docker0');
  });

  it('localhost UDP through the proxy (10): names the userland proxy and 172.17.0.1, no TCP handshake or sequence numbers', async () => {
    const t = await explain('10-localhost-udp-proxy', 's10-u2');
    expect(t).toContain('userland proxy (docker-proxy)');
    expect(t).toMatch(/second, separate UDP exchange from 172\.17\.0\.1:\d+ to the container at 172\.17\.0\.2:53\b/);
    expect(t).toMatch(/saw the client as 172\.17\.0\.1 .*not 127\.0\.0\.1/);
    expect(t).not.toMatch(/TCP|sequence number|handshake|accepted|stream/);
    expect(t).toContain('trace of two UDP exchanges is often explained as DNAT + MASQUERADE');
  });

  it('hairpin with the proxy (05a): still the proxy, why the kernel did not DNAT it, and no localhost correction', async () => {
    const t = await explain('05a-hairpin-proxy');
    expect(t).toContain('userland proxy');
    expect(t).toMatch(/saw the client as 172\.17\.0\.1 .*not 172\.17\.0\.2/);
    expect(t).not.toContain('DNAT + MASQUERADE');
    // Facts §1, hairpin row: the container calls its own published port; `-i docker0 -j RETURN`
    // keeps it from DNAT, so the proxy carries it; without the proxy, DNAT + hairpin MASQUERADE.
    expect(t).toContain('the container 172.17.0.2 itself, reaching its own published port through the host\'s address 198.18.0.1 (hairpin)');
    expect(t).toContain('-A DOCKER -i docker0 -j RETURN');
    expect(t).toMatch(/userland-proxy=false the kernel DNATs it instead, and a hairpin MASQUERADE/);
  });

  it('a proxied client that is another container on the bridge (05a with the client moved to 172.17.0.3): DNAT only without the proxy', async () => {
    const s = await scenario('05a-hairpin-proxy');
    const c = s.correlations.find((x) => x.mechanism === 'userland-proxy')!;
    const h = c.hops.find((x) => x.mechanism === 'userland-proxy')!;
    // The same capture, but the client leg comes from a second container (facts §1: "container →
    // another container's published port via host IP": docker-proxy; without it, DNAT only).
    const flows = new Map(s.flows);
    const client = flows.get(h.from)!;
    flows.set(h.from, { ...client, src: { ...client.src, ip: '172.17.0.3' } } as typeof client);
    const t = explainCorrelation(c, flows, { capturedIfaces: s.ifaces }).join('\n');
    expect(t).toContain('Here the client 172.17.0.3 came from the bridge too: a container reaching a published port through the host\'s address 198.18.0.1.');
    expect(t).toContain('-A DOCKER -i docker0 -j RETURN');
    expect(t).toContain('With userland-proxy=false the kernel only DNATs it, and the container sees the client container\'s own address.');
    expect(t).not.toContain('itself');
    expect(t).toMatch(/saw the client as 172\.17\.0\.1 .*not 172\.17\.0\.3/);
  });

  it('no hairpin sentence where the client did not come from the bridge (01 localhost, 10 UDP)', async () => {
    for (const [name, id] of [['01-localhost-proxy', undefined], ['10-localhost-udp-proxy', 's10-u2']] as const) {
      const t = await explain(name, id);
      expect(t, name).not.toContain('hairpin');
      expect(t, name).not.toContain('-i docker0 -j RETURN');
    }
  });

  it('external DNAT (02): client IP preserved, pre-DNAT copy on eth0, TTL drop, conntrack reverse NAT', async () => {
    const t = await explain('02-external-dnat');
    expect(t).toMatch(/destination from 198\.18\.0\.1:5000 to 172\.17\.0\.2:5000/);
    expect(t).toContain('client IP is preserved');
    expect(t).toMatch(/real client address 198\.18\.0\.2:\d+/);
    expect(t).toContain('before the nat PREROUTING hook');
    expect(t).toContain('TTL 64 → 63');
    expect(t).toContain('reverse NAT');
    expect(t).not.toContain('userland proxy');
  });

  it('MASQUERADE with a port collision (04): the kept port, and the remapped one with its new value', async () => {
    const kept = await explain('04-port-collision', 's04-t1');
    expect(kept).toContain('keeping the source port 40000');
    const remap = await explain('04-port-collision', 's04-t2', ['source port remapped']);
    expect(remap).toContain('source port 40000 → 60538');
    expect(remap).toMatch(/server saw the client as 198\.18\.0\.1:60538/);
    const udp = await explain('04-port-collision', 's04-u2');
    expect(udp).toContain('5353 → 37162');
    const icmp = await explain('04-port-collision', 's04-i2');
    expect(icmp).toContain('echo id 4242 → 36264');
    expect(icmp).toContain('an ICMP echo exchange');
  });

  it('no-proxy localhost (06): nothing on lo, OUTPUT DNAT + MASQUERADE, 172.17.0.1, and the half-flow explained', async () => {
    const t = await explain('06-localhost-noproxy');
    expect(t).toContain('Nothing of it appears on lo');
    expect(t).toContain('nat OUTPUT');
    expect(t).toMatch(/saw the client as 172\.17\.0\.1, not 127\.0\.0\.1/);
    expect(t).toContain('br_netfilter');
    expect(t).toMatch(/172\.17\.0\.2:5000 → 127\.0\.0\.1:53114/);
    expect(t).not.toContain('userland proxy');
  });

  it('no-proxy hairpin (05b): hairpin MASQUERADE, the container sees the gateway not itself', async () => {
    const t = await explain('05b-hairpin-noproxy');
    expect(t).toContain('hairpin MASQUERADE');
    expect(t).toContain('nat PREROUTING');
    expect(t).toMatch(/saw the client as 172\.17\.0\.1, not 172\.17\.0\.2/);
  });

  it('host networking (07): an unpaired loopback flow, said to be local', async () => {
    const t = await explain('07-host-network');
    expect(t).toContain('No counterpart');
    expect(t).toContain('host networking');
  });

  it('bridge: same packet on docker0 and the veth, no rewrite', async () => {
    const s = await scenario('02-external-dnat');
    const c = s.correlations[0];
    const b = c.hops.find((h) => h.mechanism === 'bridge')!;
    const t = explainCorrelation({ ...c, mechanism: 'bridge', legs: [b.from, b.to], hops: [b] }, s.flows).join('\n');
    expect(t).toContain('without rewriting anything');
    expect(t).toContain('not retransmissions');
  });

  it('notes: NAT helper / SYNPROXY suspicion and a refused upstream', async () => {
    const helper = await explain('02-external-dnat', undefined, ['NAT helper or SYNPROXY suspected']);
    expect(helper).toContain('Docker installs neither');
    const refused = await explain('01-localhost-proxy', undefined, ['upstream refused']);
    expect(refused).toMatch(/refused \(RST\)/);
  });

  it('a rule given with --rules is quoted in the step that names the rewrite', async () => {
    const s = await scenario('02-external-dnat');
    const c: Correlation = structuredClone(s.correlations[0]);
    const h = c.hops.find((x) => x.mechanism === 'dnat')!;
    h.rule = { table: 'nat', chain: 'DOCKER', text: '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 5000 -j DNAT --to-destination 172.17.0.2:5000', source: 'iptables-save.txt:31' };
    const t = explainCorrelation(c, s.flows, { rulesGiven: true }).join('\n');
    expect(t).toContain('`-A DOCKER ! -i docker0 -p tcp -m tcp --dport 5000 -j DNAT --to-destination 172.17.0.2:5000` (nat DOCKER, iptables-save.txt:31)');
  });
});

describe('summarizeAnalysis', () => {
  const base = (over: Partial<Analysis>): Analysis => ({
    version: 't', captures: [], flows: [], correlations: [], unpaired: [], summary: '', inferences: [], ...over,
  });
  const corr = (id: string, mechanism: Correlation['mechanism'], notes: string[] = []): Correlation =>
    ({ id, mechanism, confidence: 1, legs: [], communityIds: [], pairId: '', hops: [], evidence: [], explanation: [], notes, copies: [] });
  it('counts mechanisms, unpaired flows per interface, and reports clock offsets', () => {
    const a = base({
      correlations: [corr('c1', 'userland-proxy'), corr('c2', 'dnat'), corr('c3', 'dnat')],
      flows: [{ id: 'f9', iface: 'docker0' } as Analysis['flows'][number]],
      unpaired: ['f9'],
      captures: [
        { file: 'lo.pcap', format: 'pcap', linktype: [1], interfaces: ['lo'], packets: 1, packetsCut: 0, snaplen: null, clockOffset: 0, clockOffsetBasis: null, error: null },
        { file: 'eth0.pcap', format: 'pcap', linktype: [1], interfaces: ['eth0'], packets: 1, packetsCut: 0, snaplen: null, clockOffset: 0.000412, clockOffsetBasis: 'median of 12 same-packet matches with docker0.pcap', error: null },
      ],
    });
    const s = summarizeAnalysis(a);
    expect(s).toContain('3 conversations: 1 through the userland proxy, 2 through DNAT; 1 unpaired flow on docker0.');
    expect(s).toContain('eth0.pcap +0.412 ms');
    expect(s).not.toContain('lo.pcap');
  });
  it('says when nothing paired, and counts remaps', () => {
    expect(summarizeAnalysis(base({}))).toBe('No conversations were paired across the captures.');
    expect(summarizeAnalysis(base({ correlations: [corr('c', 'snat', ['source port remapped'])] }))).toContain('1 conversation: 1 through SNAT/MASQUERADE (1 with a remapped source port or echo id)');
  });
});
