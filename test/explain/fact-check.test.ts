/**
 * Sentences natflow prints about the lab captures, held to docker-nat-facts.md and to the
 * captures' README ("observed" vs "derived"): expected values come from truth.json, never
 * from natflow's own output.
 */
import { hasCommand, tsharkFields } from '../helpers/tools.js';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures, type AnalyzeResult } from '../../src/correlate/analyze.js';
import type { Correlation } from '../../src/correlate/model.js';
import { summarizeAnalysis } from '../../src/explain/index.js';
import { explainUnpairedFlow } from '../../src/explain/explain-correlation.js';
import { correlationOfTruth, expectedFlows, type Scenario, scenariosByNumber, type TruthConversation } from '../correlate/truth.js';
import { indexCapture } from '../captures/lab-captures.js';
import { parseCaptureOptions } from '../../src/cli/capture-options.js';
import { parseLinksDump } from '../../src/flows/interface-names.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { forwardDropRule, parseRules } from '../../src/correlate/rules/index.js';
import { renderAnalysisText } from '../../src/present/analysis-text.js';
import { renderReport } from '../../src/present/report/render-report.js';

const byName = scenariosByNumber();


const conv = (s: Scenario, pred: (t: TruthConversation) => boolean) => s.conversations.find(pred)!;
const ep = (ip: string, port: number | null) => `${ip}:${port}`;

describe.skipIf(!byName.has('01'))('01 the proxy hop is a new connection, not a rewrite', () => {
  it('calls every header field of the relayed connection unrelated and compares no loopback MAC', async () => {
    const s = byName.get('01')!;
    const r = await analyzeCaptures([s.perInterface.lo, s.perInterface.docker0]);
    const t = conv(s, (x) => x.mechanism === 'userland-proxy');
    const c = correlationOfTruth(r, t);
    const hop = c.hops.find((h) => h.mechanism === 'userland-proxy')!;
    // docker-proxy writes its own headers: the container port and the OS default TTL are not "preserved".
    for (const f of ['src-ip', 'src-port', 'dst-ip', 'dst-port', 'ttl']) expect(hop.fields.find((d) => d.field === f)?.verdict, f).toBe('unrelated');
    expect(hop.fields.some((d) => d.verdict === 'rewritten')).toBe(false);
    // lo frames carry 00:00:00:00:00:00: no MAC was "rewritten".
    expect(hop.fields.some((d) => d.field === 'mac')).toBe(false);
    const client = t.legs.find((l) => l.role === 'client')!.tuple;
    const up = t.legs.find((l) => l.role === 'upstream')!.tuple;
    const replies = c.explanation.find((x) => x.startsWith('Replies'))!;
    expect(replies).toContain(`${ep(up.dst, up.dport)} → ${ep(up.src, up.sport)} on docker0`);
    expect(replies).toContain(`${ep(client.dst, client.dport)} → ${ep(client.src, client.sport)} on lo`);
  });
});

describe.skipIf(!byName.has('03'))('03 ICMP echo ids and UDP wording', () => {
  it('writes the echo id as an echo id, never as a port', async () => {
    const s = byName.get('03')!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    const t = conv(s, (x) => x.proto === 'icmp');
    const egress = t.legs.find((l) => l.role === 'egress')!.tuple;
    const c = correlationOfTruth(r, t);
    const hop = c.hops.find((h) => h.mechanism === 'snat')!;
    expect(hop.rewrite).toContain(`${egress.src} (echo id ${egress.icmpId})`);
    expect(hop.rewrite).not.toContain(`:${egress.icmpId}`);
    expect(c.evidence.filter((e) => e.kind === 'tuple').every((e) => !e.detail.includes(`:${egress.icmpId}`))).toBe(true);
  });

  it('says "a UDP exchange", and a bridge hop between a MAC-less any.pcap leg and docker0 claims no MAC rewrite', async () => {
    const s = byName.get('03')!;
    const r = await analyzeCaptures([s.any!, s.perInterface.docker0, s.perInterface.eth0]);
    const t = conv(s, (x) => x.proto === 'udp');
    const c = correlationOfTruth(r, t);
    expect(c.explanation.join(' ')).toContain('a UDP exchange');
    expect(c.explanation.join(' ')).not.toContain('an UDP');
    for (const h of c.hops.filter((x) => x.mechanism === 'bridge')) {
      expect(h.fields.find((d) => d.field === 'mac')?.verdict ?? 'preserved').toBe('preserved');
    }
  });
});

describe.skipIf(!byName.has('04'))('04 MASQUERADE from two containers: each container\'s own bridge port', () => {
  it('names the veth truth.json recorded for each container before docker0, and after it for the replies', async () => {
    const s = byName.get('04')!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    const tcp = s.conversations.filter((x) => x.mechanism === 'snat' && x.proto === 'tcp');
    expect(new Set(tcp.map((t) => t.legs[0].tuple.src)).size).toBeGreaterThan(1);
    for (const t of tcp) {
      const leg = t.legs.find((l) => l.interfaces.includes('docker0'))!;
      const veth = leg.interfaces.find((i) => i.startsWith('veth'))!;
      const c = correlationOfTruth(r, t);
      expect(c.explanation[0], t.id).toContain(`; it appears on ${veth} and docker0.`);
      expect(c.explanation.find((x) => x.startsWith('Replies')), t.id).toContain(`delivered on docker0 and ${veth}.`);
    }
  });
});

describe.skipIf(!byName.has('05a'))('05a hairpin through the proxy: both connections on docker0', () => {
  it('names the two connections by tuple, not by an interface they share', async () => {
    const s = byName.get('05a')!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    const t = conv(s, (x) => x.mechanism === 'userland-proxy');
    const client = t.legs.find((l) => l.role === 'client')!.tuple;
    const up = t.legs.find((l) => l.role === 'upstream')!.tuple;
    const replies = correlationOfTruth(r, t).explanation.find((x) => x.startsWith('Replies'))!;
    expect(replies).toContain(`${ep(up.dst, up.dport)} → ${ep(up.src, up.sport)}`);
    expect(replies).toContain(`${ep(client.dst, client.dport)} → ${ep(client.src, client.sport)}`);
  });

  it('the client connection is placed on the container\'s bridge port and docker0, in path order', async () => {
    const s = byName.get('05a')!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    const t = conv(s, (x) => x.mechanism === 'userland-proxy');
    const client = t.legs.find((l) => l.role === 'client')!;
    const c = correlationOfTruth(r, t);
    // truth.json recorded the client's packets on docker0 and the container's veth; a packet the
    // container sends crosses its veth before the bridge, so the veth comes first.
    const veth = client.interfaces.find((i) => i.startsWith('veth'))!;
    expect(client.interfaces).toEqual(expect.arrayContaining(['docker0', veth]));
    expect(c.explanation[0]).toContain(`${ep(client.tuple.src, client.tuple.sport)} opened a TCP connection to ${ep(client.tuple.dst, client.tuple.dport)}; it appears on ${veth} and docker0.`);
  });
});

describe.skipIf(!byName.has('06'))('06 localhost without the proxy', () => {
  it('presents the IGMPv3 report as background noise, and the summary counts one conversation', async () => {
    const s = byName.get('06')!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    const igmp = r.analysis.correlations.find((c) => c.legs.some((l) => r.flows.find((f) => f.id === l)?.dst.ip === '224.0.0.22'))!;
    expect(igmp.explanation[0]).toMatch(/^Background noise, not a conversation: an IGMPv3 membership report/);
    const summary = summarizeAnalysis(r.analysis);
    expect(summary).toMatch(/^1 conversation: 1 through DNAT \+ MASQUERADE;/);
    expect(summary).toContain('background noise');
  });

  it('says the loopback source in the hop was read from the replies, and the reverse translation is derived', async () => {
    const s = byName.get('06')!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    const t = conv(s, (x) => x.mechanism === 'dnat+snat');
    const c = correlationOfTruth(r, t);
    const hop = c.hops.find((h) => h.mechanism === 'dnat+snat')!;
    const reply = t.legs.find((l) => l.role === 'egress')!.replies!.docker0![0];
    expect(hop.rewrite).toContain('read from the replies');
    expect(hop.rewrite).toContain(`${ep(reply.src, reply.sport)} → ${ep(reply.dst, reply.dport)} on docker0`);
    expect(c.explanation.find((x) => x.startsWith('Replies were translated'))).toContain('derived');
  });
});

describe.skipIf(!byName.has('09'))('09 closed port: nothing was relayed, the container answered RST', () => {
  it('the refused proxy upstream: no "same bytes", no reply relay, no payload verdict', async () => {
    const s = byName.get('09')!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    const t = conv(s, (x) => x.mechanism === 'userland-proxy');
    const c = correlationOfTruth(r, t);
    const text = c.explanation.join(' ');
    expect(text).not.toMatch(/same bytes|only the payload/i);
    expect(text).not.toMatch(/^Replies travel back/m);
    expect(text).toContain('No payload reached the container');
    expect(c.hops.find((h) => h.mechanism === 'userland-proxy')!.fields.some((d) => d.field === 'payload')).toBe(false);
  });

  it('the DNATed SYN to the closed port: "tried to open", answered by RST, no payload claim', async () => {
    const s = byName.get('09')!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    const t = conv(s, (x) => x.mechanism === 'dnat');
    const ingress = t.legs.find((l) => l.role === 'ingress')!.tuple;
    const c = correlationOfTruth(r, t);
    const text = c.explanation.join(' ');
    expect(text).toContain(`${ep(ingress.src, ingress.sport)} tried to open a TCP connection to ${ep(ingress.dst, ingress.dport)}`);
    expect(text).toMatch(/refused the connection with RST/);
    expect(text).not.toMatch(/payload are unchanged/);
  });
});

describe.skipIf(!byName.has('11'))('11 closed UDP port: the container answered ICMP port unreachable, translated back', () => {
  it('says the container refused the datagram, how conntrack translated the error, and claims no reply the capture lacks', async () => {
    const s = byName.get('11')!;
    const t = s.conversations[0];
    const e = t.icmpErrors![0];
    const ingress = t.legs.find((l) => l.role === 'ingress')!.tuple;
    const egress = t.legs.find((l) => l.role === 'egress')!.tuple;
    const inside = e.legs.find((l) => l.quotes === 'egress')!;
    const outside = e.legs.find((l) => l.quotes === 'ingress')!;
    // What the capture shows: no datagram back from the container, nor from the published port.
    const rev = (x: typeof ingress) => `udp ${x.dst}:${x.dport} > ${x.src}:${x.sport}`;
    const d0 = await indexCapture(s.perInterface.docker0, () => 'docker0');
    const e0 = await indexCapture(s.perInterface.eth0, () => 'eth0');
    expect(d0.byTuple.has(`docker0|${rev(egress)}`)).toBe(false);
    expect(e0.byTuple.has(`eth0|${rev(ingress)}`)).toBe(false);

    const r = await analyzeCaptures(Object.values(s.perInterface));
    const c = correlationOfTruth(r, t);
    const text = c.explanation.join('\n');
    expect(text).not.toMatch(/^Replies /m);
    const refused = c.explanation.find((x) => x.startsWith('The container refused the datagram'))!;
    expect(refused).toContain(`nothing listens on UDP port ${egress.dport} at ${egress.dst} (no socket on that port)`);
    expect(refused).toContain(`ICMP port unreachable (type ${e.type} code ${e.code}), ${inside.src} → ${inside.dst} on `);
    expect(refused).toContain(`quoting the datagram as it arrived (${ep(inside.quoted.src, inside.quoted.sport)} → ${ep(inside.quoted.dst, inside.quoted.dport)})`);
    expect(refused).toContain('No reply datagram was sent.');
    const back = c.explanation[c.explanation.indexOf(refused) + 1];
    expect(back).toContain(`on eth0 it is ${outside.src} → ${outside.dst}, quoting ${ep(outside.quoted.src, outside.quoted.sport)} → ${ep(outside.quoted.dst, outside.quoted.dport)}`);
    // The host address and port the client sent to.
    expect(back).toContain(`the client gets the error from ${ingress.dst}, about its datagram to ${ep(ingress.dst, ingress.dport)}: the host address and port it sent to`);
    // …which holds for what eth0 shows: outer source and quoted destination are the host's.
    expect([outside.src, outside.quoted.src, outside.dst]).not.toContain(egress.dst);
    expect(outside.quoted.dst).toBe(ingress.dst);
    expect(back).toContain(`On eth0 neither header of the error shows the container's ${ep(egress.dst, egress.dport)}.`);
  });
});

describe.skipIf(!byName.has('13'))('13 IPv6 clients of an IPv4-only container: only docker-proxy can carry them', () => {
  it('pairs each IPv6 client connection with the proxy\'s IPv4 one and says why it cannot be NAT, in every capture mode', async () => {
    const s = byName.get('13')!;
    const modes: [string, string[]][] = [
      ['files', Object.values(s.perInterface)],
      ['pcapng', [s.pcapng!]],
      ['directory', [s.dir]],
    ];
    for (const [mode, files] of modes) {
      const r = await analyzeCaptures(files);
      for (const t of s.conversations) {
        const client = t.legs.find((l) => l.role === 'client')!.tuple;
        const up = t.legs.find((l) => l.role === 'upstream')!.tuple;
        const c = correlationOfTruth(r, t);
        expect(c.mechanism, `${mode} ${t.id}`).toBe('userland-proxy');
        const text = c.explanation.join(' ');
        // The container sees the proxy's IPv4 source, never the IPv6 client.
        expect(text).toContain(`saw the client as ${up.src} (the address the proxy connected from), not ${client.src}`);
        expect(text).toContain('NAT cannot translate between IPv6 and IPv4');
        // The IPv4 loopback argument (OUTPUT skips 127.0.0.0/8) is not the reason for ::1.
        expect(text).not.toContain('127.0.0.0/8');
        expect(text).not.toMatch(/often explained as DNAT/);
        if (client.dst === '::1') expect(text).toContain('`localhost` resolves to ::1 first');
        else expect(text).not.toContain('localhost');
      }
    }
  });

  it('never pairs link-local ICMPv6 (MLD from :: and again from fe80::) as a rewrite, and names neighbor discovery', async () => {
    const s = byName.get('13')!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    const byId = new Map(r.flows.map((f) => [f.id, f]));
    // Only the truth's two conversations; everything else on eth0 is IPv6 control traffic.
    expect(r.analysis.correlations.map((c) => c.mechanism)).toEqual(['userland-proxy', 'userland-proxy']);
    const icmp6 = r.flows.filter((f) => f.proto === 58);
    expect(icmp6.length).toBeGreaterThan(0);
    expect(r.analysis.unpaired.map((id) => byId.get(id)!.proto).every((p) => p === 58)).toBe(true);
    expect(new Set(r.analysis.unpaired)).toEqual(new Set(icmp6.map((f) => f.id)));
    // The pipeline's summary counts the control traffic apart, not as unpaired flows.
    expect(r.analysis.summary).toBe(`2 conversations: 2 through the userland proxy; link-local control traffic (neighbor discovery, MLD), never NATed: ${icmp6.length} flows on eth0.`);
    // The text lists them apart from the unpaired flows, each named.
    const text = renderAnalysisText(r.analysis, r.flowsById, { color: false, width: 200 });
    expect(text).not.toContain('Unpaired flows');
    expect(text).toContain(`Link-local control traffic, never NATed (${icmp6.length})`);
    expect(text).toMatch(/\d+ pkts, neighbor discovery \(neighbor solicitation\)/);
    // So does the HTML report: a section of their own, and no unpaired flow left.
    const html = renderReport(r.analysis, r.flowsById);
    expect(html).toContain('<h2>Unpaired flows (0)</h2>');
    expect(html).toContain(`<section id="link-control"><h2>Link-local control traffic (${icmp6.length})</h2>`);
    for (const f of icmp6) expect(explainUnpairedFlow(f, { capturedIfaces: Object.keys(s.perInterface) }).join(' ')).toMatch(/IPv6 (neighbor|multicast listener) discovery \(.+\), link-local control traffic that is never routed and never NATed/);
  });
});

describe.skipIf(!byName.has('14'))('14 a host process calling a published port on the host\'s own address: DNAT in nat OUTPUT', () => {
  it('is DNAT inferred from the bridge side, names nat OUTPUT and the host address the container sees, in every capture mode', async () => {
    const s = byName.get('14')!;
    const t = conv(s, (x) => x.mechanism === 'dnat');
    const origin = t.legs.find((l) => l.role === 'local-origin')!.tuple;
    const egress = t.legs.find((l) => l.role === 'egress')!.tuple;
    // any.pcap alone has no interface names (docker0 is if<its index>): the bridge and its port
    // are told apart by the packet types the kernel gave their frames.
    const docker0 = [...parseLinksDump(readFileSync(join(s.dir, 'ip-link.txt'), 'utf8'))].find(([, n]) => n === 'docker0')![0];
    for (const files of [Object.values(s.perInterface), [s.pcapng!], [s.dir], [s.any!]]) {
      // The directory's any.pcap names its interfaces from the ip-link dump next to it.
      const r = await analyzeCaptures(files, parseCaptureOptions({}, files));
      const unnamed = files[0] === s.any;
      // Truth names interfaces; without names the conversation is found by its tuple.
      const c = unnamed
        ? r.analysis.correlations.find((x) => x.legs.some((l) => r.flowsById.get(l)!.src.port === egress.sport && r.flowsById.get(l)!.src.ip === egress.src))!
        : correlationOfTruth(r, t);
      expect(c.mechanism).toBe('dnat');
      const text = c.explanation.join(' ');
      const bridge = unnamed ? `if${docker0}` : 'docker0';
      expect(text).toContain(`first appears on ${bridge} as ${ep(egress.src, egress.sport)} → ${ep(egress.dst, egress.dport)}`);
      expect(text).toContain('nat OUTPUT');
      expect(text).toContain('never reaches lo');
      expect(text).toContain(`saw the client as ${origin.src}, the host's own address`);
      // Facts §1: with userland-proxy=false MASQUERADE from LOCAL makes it 172.17.0.1.
      expect(text).toContain('With userland-proxy=false Docker also MASQUERADEs');
    }
  });

  it('with --conntrack gives the tuple the process opened (truth\'s local-origin leg), with --rules the DNAT rule and so the published port', async () => {
    const s = byName.get('14')!;
    const t = conv(s, (x) => x.mechanism === 'dnat');
    const origin = t.legs.find((l) => l.role === 'local-origin')!.tuple;
    const egress = t.legs.find((l) => l.role === 'egress')!.tuple;
    const files = Object.values(s.perInterface);
    const ct = await analyzeCaptures(files, { conntrackFile: `${s.dir}/conntrack.txt` });
    const withCt = correlationOfTruth(ct, t).evidence.find((e) => e.kind === 'conntrack')!;
    expect(withCt.values).toEqual([`${ep(origin.src, origin.sport)} → ${ep(origin.dst, origin.dport)}`, `${ep(egress.src, egress.sport)} → ${ep(egress.dst, egress.dport)}`]);
    expect(ct.analysis.inferences.some((i) => /1 hop\(s\) confirmed, 0 contradicted, 0 not in the dump/.test(i))).toBe(true);
    const rules = await analyzeCaptures(files, { rulesFile: `${s.dir}/iptables-save.txt` });
    const rule = correlationOfTruth(rules, t).evidence.find((e) => e.kind === 'rule')!;
    expect(rule.detail).toContain(`--dport ${origin.dport} -j DNAT --to-destination ${egress.dst}:${egress.dport}`);
    expect(rule.detail).toContain(`the published port ${origin.dport} is read from the rule`);
  });

  it('with --conntrack the explanation says what the entry shows, without the hedge and without asking for --conntrack', async () => {
    const s = byName.get('14')!;
    const t = conv(s, (x) => x.mechanism === 'dnat');
    const origin = t.legs.find((l) => l.role === 'local-origin')!.tuple;
    const opened = ep(origin.dst, origin.dport);
    const hedge = /most likely|the one other way|\(--conntrack\) shows them/;
    for (const files of [Object.values(s.perInterface), [s.dir]]) {
      const r = await analyzeCaptures(files, { ...parseCaptureOptions({}, files), conntrackFile: join(s.dir, 'conntrack.txt') });
      const text = correlationOfTruth(r, t).explanation.join(' ');
      expect(text).toContain(`That is a host process calling a published port on the host's own address: the --conntrack entry shows it connected to ${opened}.`);
      expect(text).toContain(`The address and port it connected to, ${opened}, are on no capture point`);
      expect(text).toContain(`The --conntrack entry ${ep(origin.src, origin.sport)} → ${opened} holds them as its original tuple.`);
      expect(text).not.toMatch(hedge);
    }
    // Without the dump the hedge stays, and the step says what would settle it.
    const bare = correlationOfTruth(await analyzeCaptures(Object.values(s.perInterface)), t).explanation.join(' ');
    expect(bare).toContain(`most likely ${origin.src} itself`);
    expect(bare).toContain('`conntrack -L` (--conntrack) shows them');
    // A dump that lacks the entry (another scenario's) is said to lack it, not asked for.
    const other = correlationOfTruth(await analyzeCaptures(Object.values(s.perInterface), { conntrackFile: join(byName.get('02')!.dir, 'conntrack.txt') }), t).explanation.join(' ');
    expect(other).toContain('The --conntrack dump holds no entry for this connection (entries expire), so they are not known.');
    expect(other).not.toContain('(--conntrack) shows them');
  });

  it('does not infer it for a container calling the host, nor for the proxy\'s own connections', async () => {
    // 15a: the proxy dials from the bridge's address (same network); 03: containers call out.
    for (const name of ['01', '03', '15a']) {
      const s = byName.get(name);
      if (!s) continue;
      for (const files of [Object.values(s.perInterface), [s.any!]]) {
        const r = await analyzeCaptures(files);
        expect(r.analysis.correlations.filter((c) => c.notes.some((n) => n.startsWith('DNAT in nat OUTPUT'))), `${name} ${files.join(' ')}`).toEqual([]);
      }
    }
  });

  it('nor for a connection from outside routed to a container, captured on eth0 and the container\'s veth only (19)', async () => {
    // The client is one hop away: its packets reach eth0 with the TTL it sent them with, which a
    // packet this host sent into the bridge would have on docker0 (here not captured).
    const s = byName.get('19');
    if (!s) return;
    const veth = Object.keys(s.perInterface).find((i) => i.startsWith('veth'))!;
    const r = await analyzeCaptures([s.perInterface.eth0, s.perInterface[veth]]);
    expect(r.analysis.correlations.filter((c) => c.notes.some((n) => n.startsWith('DNAT in nat OUTPUT')))).toEqual([]);
    for (const t of s.conversations) expect(correlationOfTruth(r, t).mechanism, t.id).toBe('bridge');
  });
});

describe.skipIf(!byName.has('15a') || !byName.has('15b'))('15 a container calling another container\'s published port through the host\'s address', () => {
  it('with the proxy the container sees the bridge address; without it the kernel DNATs and it sees the calling container', async () => {
    const a = byName.get('15a')!;
    const ta = conv(a, (x) => x.mechanism === 'userland-proxy');
    const clientA = ta.legs.find((l) => l.role === 'client')!.tuple;
    const upA = ta.legs.find((l) => l.role === 'upstream')!.tuple;
    const ca = correlationOfTruth(await analyzeCaptures(Object.values(a.perInterface)), ta);
    const textA = ca.explanation.join(' ');
    expect(textA).toContain(`saw the client as ${upA.src} (the address the proxy connected from), not ${clientA.src}`);
    expect(textA).toContain('-A DOCKER -i docker0 -j RETURN');

    const b = byName.get('15b')!;
    const tb = conv(b, (x) => x.mechanism === 'dnat');
    const ingress = tb.legs.find((l) => l.role === 'ingress')!.tuple;
    const egress = tb.legs.find((l) => l.role === 'egress')!.tuple;
    expect(egress.src).toBe(ingress.src);
    const cb = correlationOfTruth(await analyzeCaptures(Object.values(b.perInterface)), tb);
    expect(cb.mechanism).toBe('dnat');
    const textB = cb.explanation.join(' ');
    expect(textB).toContain(`The container saw the real client address ${ep(egress.src, egress.sport)}`);
    expect(textB).toContain(`Here the client ${ingress.src} is a container on the bridge`);
    expect(textB).toContain("the container sees the client container's own address");
    // any.pcap without names: the calling container's veth is still known for one, by its frames.
    const unnamed = await analyzeCaptures([b.any!]);
    const cu = unnamed.analysis.correlations.find((x) => x.legs.some((l) => unnamed.flowsById.get(l)!.src.port === egress.sport))!;
    expect(cu.mechanism).toBe('dnat');
    expect(cu.explanation.join(' ')).toContain(`Here the client ${ingress.src} is a container on the bridge`);
  });
});

describe.skipIf(!byName.has('14b'))('14b the same with userland-proxy=false: DNAT in OUTPUT and MASQUERADE from LOCAL', () => {
  it('names the host process as the client, nat OUTPUT, and the bridge address the container sees; never a container or the hairpin rule', async () => {
    const s = byName.get('14b')!;
    const t = conv(s, (x) => x.mechanism === 'dnat+snat');
    const origin = t.legs.find((l) => l.role === 'local-origin')!.tuple;
    const egress = t.legs.find((l) => l.role === 'egress')!.tuple;
    const c = correlationOfTruth(await analyzeCaptures(Object.values(s.perInterface)), t);
    expect(c.mechanism).toBe('dnat+snat');
    const text = c.explanation.join(' ');
    expect(text).toContain(`A process on this host, ${ep(origin.src, origin.sport)}, opened`);
    expect(text).toContain('In nat OUTPUT, DNAT rewrote the destination');
    expect(text).toContain(`The container saw the client as ${egress.src}, not ${origin.src}`);
    expect(text).not.toMatch(/The container 198|hairpin|route_localnet/);
  });

  it('with --conntrack names the address the process connected to (truth\'s local-origin leg) instead of "most likely"', async () => {
    const s = byName.get('14b')!;
    const t = conv(s, (x) => x.mechanism === 'dnat+snat');
    const origin = t.legs.find((l) => l.role === 'local-origin')!.tuple;
    const egress = t.legs.find((l) => l.role === 'egress')!.tuple;
    const opened = ep(origin.dst, origin.dport);
    for (const files of [Object.values(s.perInterface), [s.dir]]) {
      const r = await analyzeCaptures(files, { ...parseCaptureOptions({}, files), conntrackFile: join(s.dir, 'conntrack.txt') });
      const text = correlationOfTruth(r, t).explanation.join(' ');
      expect(text).toContain(`A process on this host, ${ep(origin.src, origin.sport)}, opened a TCP connection to ${opened}, a port published on one of the host's own addresses (the --conntrack entry shows it).`);
      expect(text).toContain(`In nat OUTPUT, DNAT rewrote the destination from ${opened} to ${ep(egress.dst, egress.dport)}`);
      expect(text).not.toMatch(/most likely|from the published port/);
    }
    const bare = correlationOfTruth(await analyzeCaptures(Object.values(s.perInterface)), t).explanation.join(' ');
    expect(bare).toContain(`(most likely ${origin.src} itself)`);
    expect(bare).toContain('DNAT rewrote the destination from the published port');
  });
});

describe.skipIf(!byName.has('16'))('16 bulk downloads: segmentation offloads (facts §2) never require 1:1 packet counts', () => {
  const tshark = (file: string, filter: string): string[][] => tsharkFields(file, filter, ['frame.len', 'tcp.len']);

  it.skipIf(!hasCommand('tshark'))('pairs both downloads though frames exceed the MTU and the proxy cuts the stream differently on each side', async () => {
    const s = byName.get('16')!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    const dnat = conv(s, (x) => x.mechanism === 'dnat');
    const proxy = conv(s, (x) => x.mechanism === 'userland-proxy');
    // Super-segments: frames larger than an Ethernet MTU on the DNAT path (GRO/TSO on the veths).
    const outer = dnat.legs.find((l) => l.interfaces.includes('eth0'))!.tuple;
    const big = tshark(s.perInterface.eth0, `tcp.port==${outer.sport} && frame.len > 1514`);
    expect(big.length).toBeGreaterThan(0);
    const cd = correlationOfTruth(r, dnat);
    expect(cd.mechanism).toBe('dnat');
    // Every frame of the connection crossed eth0 and docker0 unchanged but for the rewrite.
    const frames = tshark(s.perInterface.eth0, `tcp.port==${outer.sport}`).length;
    expect(cd.evidence.find((e) => e.kind === 'packets' && e.flows?.[0] === cd.legs[0])!.count).toBe(frames);

    const client = proxy.legs.find((l) => l.role === 'client')!.tuple;
    const up = proxy.legs.find((l) => l.role === 'upstream')!.tuple;
    const loData = tshark(s.perInterface.lo, `tcp.srcport==${client.dport} && tcp.dstport==${client.sport} && tcp.len > 0`);
    const dockData = tshark(s.perInterface.docker0, `ip.src==${up.dst} && tcp.srcport==${up.dport} && tcp.dstport==${up.sport} && tcp.len > 0`);
    const bytes = (rows: string[][]) => rows.reduce((n, r) => n + Number(r[1]), 0);
    expect(bytes(loData)).toBe(bytes(dockData));
    expect(loData.length).not.toBe(dockData.length);
    const cp = correlationOfTruth(r, proxy);
    expect(cp.mechanism).toBe('userland-proxy');
    const down = cp.evidence.find((e) => e.kind === 'payload' && e.detail.startsWith('server→client'))!;
    expect(down.count).toBe(bytes(loData));
  });
});

describe.skipIf(!byName.has('17'))('17 an IPv6-enabled bridge: the kernel NATs IPv6 as it does IPv4', () => {
  it('DNAT keeps the IPv6 client address, MASQUERADE rewrites egress, the proxy still carries ::1; no IP ID and no 127.0.0.0/8 claims', async () => {
    const s = byName.get('17')!;
    const r = await analyzeCaptures(Object.values(s.perInterface));
    const dnat = conv(s, (x) => x.mechanism === 'dnat');
    const ingress = dnat.legs.find((l) => l.role === 'ingress')!.tuple;
    const cd = correlationOfTruth(r, dnat);
    expect(cd.mechanism).toBe('dnat');
    const text = cd.explanation.join(' ');
    expect(text).toContain(`The container saw the real client address [${ingress.src}]:${ingress.sport}`);
    expect(text).toContain('hop limit 64 → 63');
    // IPv6 has no IP ID: the evidence names what the packets carry.
    for (const e of cd.evidence) expect(e.detail).not.toContain('IP ID');
    expect(cd.evidence.some((e) => e.kind === 'ttl' && e.detail.startsWith('Hop limit'))).toBe(true);

    const snat = conv(s, (x) => x.mechanism === 'snat');
    const egress = snat.legs.find((l) => l.role === 'egress')!.tuple;
    const cs = correlationOfTruth(r, snat);
    expect(cs.mechanism).toBe('snat');
    expect(cs.explanation.join(' ')).toContain(`the server saw the client as [${egress.src}]:${egress.sport}, the host, not the container`);

    const proxy = conv(s, (x) => x.mechanism === 'userland-proxy');
    const up = proxy.legs.find((l) => l.role === 'upstream')!.tuple;
    const cp = correlationOfTruth(r, proxy);
    const ptext = cp.explanation.join(' ');
    expect(ptext).toContain(`saw the client as ${up.src} (the address the proxy connected from), not ::1`);
    expect(ptext).toContain('outside ::1/128 (its ip6tables rule)');
    expect(ptext).not.toContain('127.0.0.0/8');
    expect(ptext).not.toContain('NAT cannot translate between IPv6 and IPv4');
    // Neighbor discovery and MLD across the bridge are noise, not conversations.
    expect(r.analysis.summary).toMatch(/^3 conversations: 1 through the userland proxy, 1 through DNAT, 1 through SNAT\/MASQUERADE; \d+ IPv6 neighbor discovery or MLD packets bridged as background noise/);
  });
});

describe.skipIf(!byName.has('18'))('18 a user-defined network (br-<id>, as compose makes it)', () => {
  it('names the rules after the bridge that was captured, and --rules finds them there', async () => {
    const s = byName.get('18')!;
    const bridge = Object.keys(s.perInterface).find((i) => i.startsWith('br-'))!;
    expect(bridge).toBeDefined();
    const r = await analyzeCaptures(Object.values(s.perInterface), { rulesFile: `${s.dir}/iptables-save.txt` });
    const fromContainer = conv(s, (x) => x.mechanism === 'userland-proxy' && x.legs.some((l) => l.role === 'client' && l.interfaces.includes(bridge)));
    const c = correlationOfTruth(r, fromContainer);
    expect(c.explanation.join(' ')).toContain(`\`-A DOCKER -i ${bridge} -j RETURN\``);
    for (const t of s.conversations.filter((x) => x.mechanism === 'dnat' || x.mechanism === 'snat')) {
      const k = correlationOfTruth(r, t);
      const rule = k.hops.find((h) => h.mechanism === t.mechanism)!.rule!;
      expect(rule.text).toContain(bridge);
    }
  });
});

describe.skipIf(!byName.has('19'))('19 a routed network (gateway_mode_ipv4=routed): no NAT at all', () => {
  it('is one packet routed between eth0 and the bridge, told as routed, with the addresses each server logged, in every capture mode', async () => {
    const s = byName.get('19')!;
    const inbound = conv(s, (x) => x.legs[0].interfaces.includes('eth0'));
    const outbound = conv(s, (x) => x.legs[0].interfaces.includes('docker0'));
    const inT = inbound.legs[0].tuple;
    const outT = outbound.legs[0].tuple;
    // What each server saw as the client (truth, from conntrack): the real address, nothing
    // rewritten between the first and the last capture point.
    for (const t of [inbound, outbound]) {
      expect(t.translation).toBeNull();
      expect(t.legs[t.legs.length - 1].tuple).toEqual(t.legs[0].tuple);
    }
    for (const files of [Object.values(s.perInterface), [s.pcapng!], [s.dir], [s.any!]]) {
      const r = await analyzeCaptures(files, parseCaptureOptions({}, files));
      const byPort = (port: number): Correlation => r.analysis.correlations.find((x) => x.legs.some((l) => r.flowsById.get(l)!.src.port === port))!;
      const cin = byPort(inT.sport!);
      const cout = byPort(outT.sport!);
      for (const c of [cin, cout]) {
        expect(c.mechanism).toBe('bridge');
        expect(c.hops.map((h) => h.rewrite)).toContain('no rewrite (routed)');
        const text = c.explanation.join(' ');
        expect(text).toMatch(/routed it from \S+ to \S+ without NAT: nothing was rewritten, only the TTL fell by one \(64 → 63\)/);
        expect(text).not.toMatch(/Linux bridge forwarded the frames between/);
      }
      expect(cin.explanation.join(' ')).toContain(`The container saw the real client address ${ep(inT.src, inT.sport)}`);
      expect(cout.explanation.join(' ')).toContain(`saw the container's own address ${outT.src} as the client: nothing MASQUERADEd it`);
      expect(r.analysis.summary).toMatch(/^2 conversations: 2 routed without NAT/);
    }
  });
});

describe.skipIf(!byName.has('09b') || !byName.has('10b') || !byName.has('13b'))('no-proxy variants: refused, UDP and IPv6 localhost without docker-proxy', () => {
  it('09b: a refused local call is DNAT + MASQUERADE, its RST joined from the reply tuple, and told as refused by the container', async () => {
    const s = byName.get('09b')!;
    const t = conv(s, (x) => x.mechanism === 'dnat+snat');
    const origin = t.legs.find((l) => l.role === 'local-origin')!.tuple;
    for (const files of [Object.values(s.perInterface), [s.any!]]) {
      const r = await analyzeCaptures(files, parseCaptureOptions({}, files));
      const c = r.analysis.correlations.find((x) => x.mechanism === 'dnat+snat')!;
      expect(c.evidence.find((e) => e.kind === 'ack')!.detail).toContain(`→ ${ep(origin.src, origin.sport)} on`);
      const text = c.explanation.join(' ');
      expect(text).toContain(`The client ${ep(origin.src, origin.sport)} tried to open a TCP connection to a port published on the host`);
      expect(text).toContain('The container refused the connection with RST');
    }
  });

  it('10b: each UDP query is DNAT + MASQUERADE, its answer joined by ports and its loopback destination', async () => {
    const s = byName.get('10b')!;
    const truths = s.conversations.filter((x) => x.mechanism === 'dnat+snat');
    expect(truths).toHaveLength(3);
    const r = await analyzeCaptures(Object.values(s.perInterface));
    for (const t of truths) {
      const origin = t.legs.find((l) => l.role === 'local-origin')!.tuple;
      const c = correlationOfTruth(r, t);
      expect(c.mechanism).toBe('dnat+snat');
      const reply = c.evidence.find((e) => e.kind === 'reply')!;
      expect(reply.detail).toMatch(new RegExp(`→ ${origin.src.replace(/\./g, '\\.')}:${origin.sport} on docker0 answer`));
      // The answer's flow is told as the reply half it is: client first.
      const half = c.legs.map((l) => r.flowsById.get(l)!).find((f) => f.halfFlow)!;
      expect(`${half.src.ip}:${half.src.port}`).toBe(ep(origin.src, origin.sport));
      expect(half.fwd.packets).toBe(0);
      const text = c.explanation.join(' ');
      expect(text).toContain(`The client ${ep(origin.src, origin.sport)} opened a UDP exchange to a port published on the host`);
      expect(text).toContain('The container saw the client as 172.17.0.1, not 127.0.0.1');
    }
    expect(r.analysis.inferences).toContain('3 UDP exchanges showed two tuples on one interface (answers reverse-NATed at the bridge hook to a loopback address) and were joined by ports');
    expect(r.analysis.inferences.join(' ')).not.toContain('TCP connection');
  });

  it('06 and 10b with --conntrack: the entry is found by its reply direction and names the destination the client used, on no wire', async () => {
    for (const [name, port] of [['06', 5000], ['10b', 53]] as const) {
      const s = byName.get(name);
      if (!s) continue;
      const r = await analyzeCaptures(Object.values(s.perInterface), { conntrackFile: join(s.dir, 'conntrack.txt') });
      const n = s.conversations.filter((x) => x.mechanism === 'dnat+snat').length;
      expect(r.analysis.inferences.some((i) => i.includes(`${n} hop(s) confirmed, 0 contradicted, 0 not in the dump`)), name).toBe(true);
      for (const t of s.conversations.filter((x) => x.mechanism === 'dnat+snat')) {
        const origin = t.legs.find((l) => l.role === 'local-origin')!.tuple;
        const ev = correlationOfTruth(r, t).evidence.find((e) => e.kind === 'conntrack')!;
        expect(ev.detail).toContain(`conntrack entry ${ep(origin.src, origin.sport)} → ${ep(origin.dst, origin.dport)} expects replies`);
        expect(ev.detail).toContain(`the client connected to 127.0.0.1:${port}, which is on no capture point`);
      }
    }
  });

  it('13b: two connections the host refused are no proxy relay, however close in time', async () => {
    const s = byName.get('13b')!;
    expect(s.conversations.every((x) => x.mechanism === 'none')).toBe(true);
    const r = await analyzeCaptures(Object.values(s.perInterface));
    expect(r.analysis.correlations.filter((c) => c.mechanism !== 'bridge')).toEqual([]);
    for (const t of s.conversations) {
      const { ids } = expectedFlows(t, r.flows, new Set(Object.keys(s.perInterface)));
      for (const id of ids) expect(r.analysis.unpaired).toContain(id);
    }
  });
});

describe('replies lost between two capture points (17 with userland-proxy=false: [::1] to an IPv6 bridge)', () => {
  const dir = join(repoRoot, 'test/explain/fixtures/17-ipv6-noproxy');

  it('says the container answered, where its replies stopped, and the known cause, which conntrack confirms', async () => {
    const r = await analyzeCaptures(['lo', 'docker0', 'veth2f22765'].map((f) => join(dir, `${f}.pcap`)));
    const c = r.analysis.correlations.find((x) => x.legs.some((l) => r.flowsById.get(l)!.proto === 6 && r.flowsById.get(l)!.dst.port === 5000 && r.flowsById.get(l)!.src.ip === 'fd00:17::1'))!;
    const text = c.explanation.join(' ');
    expect(text).toMatch(/its replies \(\d+ packets, SYN-ACKs among them\) appear on veth2f22765, but none on docker0, and the client sent its SYN 6 more times: the host dropped the replies between veth2f22765 and docker0/);
    expect(text).toContain('a host process\'s call to [::1]:<published port> is DNATed in nat OUTPUT and MASQUERADEd to the bridge\'s address fd00:17::1');
    // The hint holds on this capture: the process opened ::1 → ::1:5000 (conntrack), nothing on lo.
    expect(readFileSync(join(dir, 'conntrack.txt'), 'utf8')).toMatch(/src=::1 dst=::1 sport=\d+ dport=5000 src=fd00:17::2 dst=fd00:17::1/);
    expect(r.flows.filter((f) => f.iface === 'lo')).toEqual([]);
    // With --conntrack the cause is no longer derived: the entry, found by its reply direction,
    // shows the tuple the process opened.
    const ct = await analyzeCaptures(['lo', 'docker0', 'veth2f22765'].map((f) => join(dir, `${f}.pcap`)), { conntrackFile: join(dir, 'conntrack.txt') });
    const cc = ct.analysis.correlations.find((x) => x.legs.some((l) => ct.flowsById.get(l)!.proto === 6 && ct.flowsById.get(l)!.src.ip === 'fd00:17::1'))!;
    const port = ct.flowsById.get(cc.legs[0])!.src.port;
    expect(cc.evidence.find((e) => e.kind === 'conntrack')!.values).toEqual([`[::1]:${port} → [::1]:5000`, `[fd00:17::1]:${port} → [fd00:17::2]:5000`]);
    const ctText = cc.explanation.join(' ');
    expect(ctText).toContain(`Conntrack shows why: the process opened [::1]:${port} → [::1]:5000; DNAT in nat OUTPUT and MASQUERADE`);
    expect(ctText).not.toContain('One known cause fits');
  });

  it('with --conntrack, conversations bridged between the capture points but NATed outside them are said so, in the summary too', async () => {
    const files = ['lo', 'docker0', 'veth2f22765'].map((f) => join(dir, `${f}.pcap`));
    const dump = readFileSync(join(dir, 'conntrack.txt'), 'utf8');
    // The container's own connection out, MASQUERADEd on eth0 (not captured here).
    const m = /src=(fd00:17::2) dst=(2001:db8:18::2) sport=(\d+) dport=(8080) src=2001:db8:18::2 dst=(2001:db8:18::1) sport=8080 dport=(\d+)/.exec(dump)!;
    const ct = await analyzeCaptures(files, { conntrackFile: join(dir, 'conntrack.txt') });
    const out = ct.analysis.correlations.find((c) => c.legs.some((l) => ct.flowsById.get(l)!.dst.port === 8080))!;
    expect(out.mechanism).toBe('bridge');
    expect(out.evidence.find((e) => e.kind === 'conntrack')!.values).toEqual([`[${m[1]}]:${m[3]} → [${m[2]}]:8080`, `[${m[2]}]:8080 → [${m[5]}]:${m[6]}`]);
    expect(out.notes.join(' ')).toContain('NATed outside the captured interfaces');
    // The container's port is named, in the order the packets went (veth first: it sent them).
    expect(out.explanation.join(' ')).toContain('The Linux bridge forwarded the frames between veth2f22765 (the container\'s port) and docker0 without rewriting anything');
    const tcp = ct.analysis.correlations.filter((c) => c.legs.some((l) => ct.flowsById.get(l)!.proto === 6));
    expect(ct.analysis.summary).toContain(`${tcp.length} NATed outside the captured interfaces, as conntrack shows`);
    // Without the dump nothing says so: the captures alone cannot tell.
    const bare = await analyzeCaptures(files);
    expect(bare.analysis.summary).not.toContain('NATed outside');
  });

  it('a bridge never "rewrote the payload" of multicast copies: MLD reports from [::] by two hosts share one tuple, so one side saw more of them', async () => {
    const r = await analyzeCaptures(['lo', 'docker0', 'veth2f22765'].map((f) => join(dir, `${f}.pcap`)));
    const mld = r.analysis.correlations.filter((c) => c.legs.every((l) => r.flowsById.get(l)!.src.ip === '::' && r.flowsById.get(l)!.dst.ip === 'ff02::16'));
    expect(mld).toHaveLength(1);
    const [a, b] = mld[0].legs.map((l) => r.flowsById.get(l)!);
    // The two sides' datagrams differ in number, and the ones matched are identical.
    expect(a.fwd.streamBytes).not.toBe(b.fwd.streamBytes);
    expect(mld[0].evidence.find((e) => e.kind === 'packets')!.detail).toMatch(/^\d+ packets identical on docker0 and veth2f22765 in payload/);
    const rewritten = r.analysis.correlations.flatMap((c) => c.hops.filter((h) => h.mechanism === 'bridge').flatMap((h) => h.fields.filter((f) => f.verdict === 'rewritten').map((f) => `${c.id} ${f.field}`)));
    expect(rewritten).toEqual([]);
  });

  it('20: a DNATed connection whose SYN-ACKs a DOCKER-USER rule drops is told as replies dropped between docker0 and eth0, never as translated back', async () => {
    const s = byName.get('20');
    if (!s) return;
    expect(readFileSync(join(s.dir, 'iptables-save.txt'), 'utf8')).toMatch(/-A DOCKER-USER -i docker0 -o eth0 -p tcp -m tcp --sport 5000 -j DROP/);
    const t = conv(s, (x) => x.mechanism === 'dnat');
    for (const files of [Object.values(s.perInterface), [s.pcapng!], [s.dir]]) {
      const r = await analyzeCaptures(files, parseCaptureOptions({}, files));
      const c = correlationOfTruth(r, t);
      expect(c.mechanism).toBe('dnat');
      const text = c.explanation.join(' ');
      expect(text).toMatch(/appear on docker0, but none on eth0, and the client sent its SYN \d+ more times: the host dropped the replies between docker0 and eth0/);
      expect(text).not.toContain('were translated back');
    }
    // The SYN-ACKs the container sent again, unchanged, are each a packet seen on docker0 and on
    // its port: the hop counts every frame tshark shows of the connection on both.
    const perIf = await analyzeCaptures(Object.values(s.perInterface));
    const bridged = correlationOfTruth(perIf, t);
    const inner = t.legs.find((l) => l.interfaces.includes('docker0'))!.tuple;
    const frames = (iface: string): number => tsharkFields(s.perInterface[iface], `tcp.port == ${inner.sport}`, ['frame.number']).length;
    const port = t.legs.find((l) => l.interfaces.includes('docker0'))!.interfaces.find((i) => i.startsWith('veth'))!;
    expect(frames('docker0')).toBe(frames(port));
    const hop = bridged.evidence.find((e) => e.kind === 'packets' && e.detail.includes(`on docker0 and ${port}`))!;
    expect(hop.count).toBe(frames('docker0'));
    // With the rules the host had, the step names the rule that drops them, walked as FORWARD is.
    const rules = join(s.dir, 'iptables-save.txt');
    const withRules = await analyzeCaptures(Object.values(s.perInterface), { rulesFile: rules });
    const line = readFileSync(rules, 'utf8').split('\n').findIndex((l) => l.includes('-j DROP') && l.includes('DOCKER-USER')) + 1;
    expect(correlationOfTruth(withRules, t).explanation.join(' ')).toContain(`In --rules they match filter DOCKER-USER: -A DOCKER-USER -i docker0 -o eth0 -p tcp -m tcp --sport 5000 -j DROP (${rules}:${line}).`);
    // Docker's own rules accept the same replies (02, the same call without the user's rule).
    const s02 = byName.get('02')!;
    expect(forwardDropRule(parseRules(readFileSync(join(s02.dir, 'iptables-save.txt'), 'utf8'), '02'), {
      proto: 'tcp', src: { ip: '172.17.0.2', port: 5000 }, dst: { ip: '198.18.0.2', port: 40000 }, inIface: 'docker0', outIface: 'eth0', ctstate: 'ESTABLISHED',
    })).toBeNull();
  });

  it('21: with --rules, an unanswered SYN to a published port is traced to its DNAT rule and the FORWARD rule that dropped it', async () => {
    const s = byName.get('21');
    if (!s) return;
    const rules = join(s.dir, 'iptables-save.txt');
    const text = readFileSync(rules, 'utf8').split('\n');
    const lineOf = (needle: string): number => text.findIndex((l) => l.includes(needle)) + 1;
    // Conntrack never lists a connection dropped before it was confirmed: truth holds it from the
    // uplink capture alone, with no conntrack entry and no counterpart.
    expect(s.conversations.map((c) => [c.mechanism, c.legs.map((l) => [l.interfaces, l.conntrack])])).toEqual([['none', [[['eth0'], null]]]]);
    const r = await analyzeCaptures(Object.values(s.perInterface), { rulesFile: rules });
    const f = r.flows.find((x) => x.iface === 'eth0' && x.proto === 6 && x.dst.port === 5000)!;
    expect(r.analysis.unpaired).toContain(f.id);
    expect(r.flows.filter((x) => x.iface === 'docker0' && x.proto === 6)).toEqual([]);
    const note = r.analysis.inferences.find((i) => i.startsWith(`${f.id} (`))!;
    expect(note).toContain(`-j DNAT --to-destination 172.17.0.2:5000 (${rules}:${lineOf('--to-destination 172.17.0.2:5000')}) sends it to 172.17.0.2:5000`);
    expect(note).toContain(`matches filter DOCKER-USER: -A DOCKER-USER -i eth0 -o docker0 -p tcp -m tcp --dport 5000 -j DROP (${rules}:${lineOf('--dport 5000 -j DROP')})`);
    expect(note).toContain('the host dropped the request after DNAT, before it reached docker0');
    // Without the user's rule (02's rules) nothing is said: Docker's FORWARD accepts the SYN.
    const s02 = byName.get('02')!;
    const r02 = await analyzeCaptures(Object.values(s.perInterface), { rulesFile: join(s02.dir, 'iptables-save.txt') });
    expect(r02.analysis.inferences.filter((i) => i.includes('dropped the request'))).toEqual([]);
  });

  it('is said of no other recorded scenario: a capture point that misses packets that took another way lost nothing', async () => {
    for (const s of [...byName.values()].filter((x) => !x.name.startsWith('20-'))) {
      const r = await analyzeCaptures(Object.values(s.perInterface));
      for (const c of r.analysis.correlations) expect(c.explanation.join(' '), `${s.name} ${c.id}`).not.toContain('the host dropped the replies');
    }
  });
});
