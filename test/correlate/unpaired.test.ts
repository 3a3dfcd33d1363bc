/**
 * A flow with no counterpart (host networking: 07) is listed once even when the same capture
 * point was recorded in several files, and the text output says why it may have no counterpart,
 * or what the captures show of it (21: a request dropped on the host).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tempDir } from '../helpers/temp-dir.js';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.js';
import { capturesDir } from '../helpers/paths.js';
import { hasCommand, tsharkFields } from '../helpers/tools.js';
import { scenarioNames } from '../helpers/scenario-dir.js';
import { parseLinksDump } from '../../src/flows/interface-names.js';
import { analyzeCaptures } from '../../src/correlate/analyze.js';

const dir = join(capturesDir, '07-host-network');

describe.skipIf(!existsSync(join(dir, 'truth.json')))('unpaired flows (07 host networking)', () => {
  it('one connection recorded in lo.pcap, any.pcap and all.pcapng is one unpaired flow, with its reasons', async () => {
    const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as { conversations: { mechanism: string }[] };
    const none = truth.conversations.filter((c) => c.mechanism === 'none').length;
    const json = await runCli(['analyze', '--json', dir]);
    expect(json.code).toBe(0);
    const a = JSON.parse(json.stdout) as { unpaired: string[]; flows: { id: string; proto: string }[]; inferences: string[] };
    const tcpUnpaired = a.unpaired.filter((id) => a.flows.find((f) => f.id === id)?.proto === 'tcp');
    expect(tcpUnpaired).toHaveLength(none);
    expect(a.inferences.some((l) => l.startsWith('unpaired flows recorded in more than one file are listed once'))).toBe(true);

    const text = await runCli(['analyze', dir]);
    expect(text.stdout).toContain(`${none} unpaired flow on lo`);
    expect(text.stdout).toMatch(/local traffic on the loopback\s+interface/);
    // docker0, eth0 and the veths were captured too (empty): not "only one interface".
    expect(text.stdout).not.toContain('only one interface was captured');
  });

  it('an -i any capture holds every interface: a flow it shows on lo alone is not "maybe on an interface not captured"', async () => {
    const any = await runCli(['analyze', join(dir, 'any.pcap')]);
    expect(any.code).toBe(0);
    expect(any.stdout).toMatch(/local traffic on the loopback\s+interface/);
    expect(any.stdout).not.toContain('only one interface was captured');
    // A capture of lo alone may well miss the counterpart: that is still said.
    const lo = await runCli(['analyze', join(dir, 'lo.pcap')]);
    expect(lo.stdout).toMatch(/only one interface was captured/);
  });
});

/**
 * 21: an outside client's SYN to a published port that a DOCKER-USER rule drops after DNAT. The
 * captures alone show a SYN sent again and again, never answered, and nothing of it past eth0;
 * the -i any capture also shows that this host received it. Expected values come from truth.json
 * and tshark, not from natflow.
 */
const dir21 = join(capturesDir, '21-requests-dropped');

describe.skipIf(!existsSync(join(dir21, 'truth.json')) || !hasCommand('tshark'))('unpaired flows (21 a request dropped on the host)', () => {
  const truth = JSON.parse(readFileSync(join(dir21, 'truth.json'), 'utf8')) as { conversations: { mechanism: string; legs: { interfaces: string[]; tuple: { src: string; sport: number; dst: string; dport: number } }[] }[] };
  const leg = truth.conversations[0].legs[0];
  const t = leg.tuple;
  const dst = `${t.dst}:${t.dport}`;
  const syns = tsharkFields(join(dir21, 'eth0.pcap'), `tcp.srcport==${t.sport} && tcp.dstport==${t.dport} && tcp.flags.syn==1`, ['frame.number']).length;
  // Wrapped at 80 columns: compare with single spaces.
  const said = async (args: string[]): Promise<string> => {
    const r = await runCli(['analyze', ...args]);
    expect(r.code).toBe(0);
    return r.stdout.replace(/\s+/g, ' ');
  };
  const generic = /may be host traffic|nothing to relay or forward/;

  it('truth: one SYN on eth0 alone, sent again, and no conntrack entry', () => {
    expect(truth.conversations.map((c) => c.mechanism)).toEqual(['none']);
    expect(leg.interfaces).toEqual(['eth0']);
    expect(syns).toBeGreaterThan(1);
  });

  it('with the -i any capture: this host received the SYN, never answered it and forwarded it nowhere', async () => {
    const ifindex = [...parseLinksDump(readFileSync(join(dir21, 'ip-link.txt'), 'utf8'))].find(([, n]) => n === 'eth0')![0];
    for (const [args, uplink] of [[[dir21], 'eth0'], [[join(dir21, 'any.pcap')], `if${ifindex}`]] as const) {
      const text = await said([...args]);
      expect(text).toContain(`This host received the SYN to ${dst} on ${uplink} (the -i any capture marks it as addressed to this host) and never answered it; the client sent it ${syns - 1} more times.`);
      expect(text).toContain('any other interface (the -i any capture records them all): the host dropped it without forwarding it anywhere.');
      expect(text).toContain('(in DOCKER-USER or FORWARD)');
      expect(text).toContain(`if nothing is published on port ${t.dport} of ${t.dst}, one in INPUT`);
      expect(text).toContain('Give --rules to name the rule.');
      expect(text).not.toMatch(generic);
    }
    // The directory names the bridge side it holds.
    expect(await said([dir21])).toContain('No copy of it appears on docker0, veth');
  });

  it('with --rules, points to the rules it named instead of asking for them', async () => {
    const text = await said([dir21, '--rules', join(dir21, 'iptables-save.txt')]);
    expect(text).toContain('The rules given name the DNAT rule and the rule that dropped it (Inferences).');
    expect(text).not.toContain('Give --rules');
    expect(text).toContain('the host dropped the request after DNAT, before it reached docker0');
  });

  it('per-interface pcaps record no direction: both readings, and no drop claimed when the bridge was not captured', async () => {
    const text = await said([join(dir21, 'eth0.pcap'), join(dir21, 'docker0.pcap')]);
    expect(text).toContain(`Its SYN to ${dst} was sent ${syns - 1} more times and never answered on eth0, and no copy of it appears on docker0, which was captured.`);
    expect(text).toContain('If it came in on eth0 (a per-interface capture does not record which way a packet went), the host did not forward it to docker0; most likely a filter rule dropped it');
    expect(text).toContain(`If this host sent it, ${t.dst} never answered.`);
    expect(text).not.toContain('This host received');
    const alone = await said([join(dir21, 'eth0.pcap')]);
    expect(alone).toMatch(generic);
    expect(alone).not.toMatch(/dropped it|did not forward/);
  });

  it('is said of no other recorded scenario', async () => {
    const others = scenarioNames().filter((n) => !n.startsWith('21-'));
    expect(others.length).toBeGreaterThan(20);
    for (const name of others) {
      const text = await said([join(capturesDir, name)]);
      expect(text, name).not.toMatch(/never answered|did not forward it|dropped it without forwarding/);
      // 13b's IPv6 client is the one connection a host refused itself (below).
      if (!name.startsWith('13b-')) expect(text, name).not.toContain('refused it itself');
    }
  });
});

/**
 * 13b: with userland-proxy=false an outside IPv6 client of a port published for an IPv4-only
 * container is refused by the host itself. The -i any capture shows the SYN received and the RST
 * sent by this host, and nothing of it anywhere else; per-interface pcaps do not show who sent the
 * RST (a container's, reverse-NATed, also leaves from the host's address).
 */
const dir13b = join(capturesDir, '13b-ipv6-noproxy');

describe.skipIf(!existsSync(join(dir13b, 'truth.json')) || !hasCommand('tshark'))('unpaired flows (13b an IPv6 client the host refused)', () => {
  const truth = JSON.parse(readFileSync(join(dir13b, 'truth.json'), 'utf8')) as { conversations: { legs: { interfaces: string[]; tuple: { src: string; sport: number; dst: string; dport: number }; replies?: Record<string, unknown[]> }[] }[] };
  const leg = truth.conversations.flatMap((c) => c.legs).find((l) => l.interfaces.includes('eth0'))!;
  const t = leg.tuple;
  const dst = `[${t.dst}]:${t.dport}`;
  const said = async (args: string[]): Promise<string> => {
    const r = await runCli(['analyze', ...args]);
    expect(r.code).toBe(0);
    return r.stdout.replace(/\s+/g, ' ');
  };

  it('truth and tshark: the SYN on eth0 alone, answered there, received by this host and the RST sent by it', () => {
    expect(leg.interfaces).toEqual(['eth0']);
    expect(Object.keys(leg.replies ?? {})).toEqual(['eth0']);
    // sll.pkttype 0: addressed to this host; 4: sent by it.
    const rows = tsharkFields(join(dir13b, 'any.pcap'), `tcp.port==${t.sport}`, ['sll.pkttype', 'ipv6.src', 'tcp.flags.reset']);
    expect(rows).toEqual([['0', t.src, '0'], ['4', t.dst, '1']]);
  });

  it('the flow read from the -i any capture keeps those packet types per direction', async () => {
    const r = await analyzeCaptures([join(dir13b, 'any.pcap')]);
    const f = r.flows.find((x) => x.proto === 6 && x.src.port === t.sport)!;
    expect(f.sllPktTypesByDir).toEqual({ fwd: [0], rev: [4] });
  });

  it('with the -i any capture: the host refused it itself, with the likely cause worded as such', async () => {
    const ifindex = [...parseLinksDump(readFileSync(join(dir13b, 'ip-link.txt'), 'utf8'))].find(([, n]) => n === 'eth0')![0];
    for (const [args, uplink] of [[[dir13b], 'eth0'], [[join(dir13b, 'any.pcap')], `if${ifindex}`], [[dir13b, '--rules', join(dir13b, 'iptables-save.txt')], 'eth0']] as const) {
      const text = await said([...args]);
      expect(text).toContain(`This host refused it itself: the SYN to ${dst} came in on ${uplink} and this host answered it with RST there (the -i any capture marks the SYN as received and the RST as sent by this host)`);
      expect(text).toContain(`any other interface (the -i any capture records them all). So nothing listened on ${dst} and no NAT rule sent the connection on to a container.`);
      expect(text).toContain(`A likely cause, which the capture cannot show: port ${t.dport} is published for a container without IPv6 while userland-proxy=false.`);
      expect(text).toContain('NAT cannot translate IPv6 into IPv4, so the host refuses IPv6 clients');
      expect(text).not.toMatch(/may be host traffic/);
    }
  });

  it('a host process\'s [::1] connection refused on lo is told as refused, with the same likely cause, not as traffic that needs no rewrite', async () => {
    const local = truth.conversations.flatMap((c) => c.legs).find((l) => l.interfaces.includes('lo'))!.tuple;
    expect(local.dst).toBe('::1');
    // tshark: the SYN and the RST that answered it, on lo.
    const rows = tsharkFields(join(dir13b, 'lo.pcap'), `tcp.port==${local.sport}`, ['tcp.flags.syn', 'tcp.flags.reset']);
    expect(rows).toEqual([['1', '0'], ['0', '1']]);
    for (const args of [[dir13b], [join(dir13b, 'lo.pcap')], [join(dir13b, 'any.pcap')]]) {
      const text = await said(args);
      expect(text).toMatch(new RegExp(`Refused: this host answered the SYN to \\[::1\\]:${local.dport} with RST on (lo|if\\d+), so nothing listened on \\[::1\\]:${local.dport}`));
      expect(text).toContain(`port ${local.dport} is published for a container without IPv6 while userland-proxy=false. Docker's [::]:${local.dport} binding reaches an IPv4-only container only through docker-proxy`);
      expect(text).not.toContain('local traffic on the loopback interface');
    }
  });

  it('per-interface pcaps do not say who sent the RST: no refusal claimed', async () => {
    const text = await said([join(dir13b, 'eth0.pcap'), join(dir13b, 'docker0.pcap')]);
    expect(text).not.toContain('refused it itself');
    expect(text).not.toContain('userland-proxy=false');
  });
});

const bulk = join(capturesDir, '16-bulk-transfer');

describe.skipIf(!existsSync(join(bulk, 'truth.json')) || !hasCommand('editcap'))('a capture started after the connection opened (16 cut with editcap -A)', () => {
  it("says the proxy's client connection has no handshake in the capture, and does not pair it by guess", async () => {
    // tcpdump started late: every file begins at the 15th packet on lo, mid-download.
    const t = tsharkFields(join(bulk, 'lo.pcap'), 'frame.number == 15', ['frame.time_epoch'])[0][0];
    const out = tempDir('natflow-midstream-');
    const files = ['lo', 'docker0', 'eth0', 'veth2f22765'].map((i) => {
      const f = join(out, `${i}.pcap`);
      execFileSync('editcap', ['-A', t, join(bulk, `${i}.pcap`), f]);
      return f;
    });
    const r = await analyzeCaptures(files);
    const lo = r.flows.find((f) => f.iface === 'lo' && f.proto === 6)!;
    expect(lo.midStream).toBe(true);
    expect(r.analysis.correlations.some((c) => c.legs.includes(lo.id))).toBe(false);
    const why = r.explainUnpaired(lo).join(' ');
    expect(why).toContain('the capture began after this connection had opened (its handshake is not in it)');
    // A connection whose opening the capture holds gets no such reason.
    const whole = await analyzeCaptures([join(bulk, 'lo.pcap')]);
    const first = whole.flows.find((f) => f.proto === 6)!;
    expect(first.midStream).toBe(false);
    expect(whole.explainUnpaired(first).join(' ')).not.toContain('the capture began after');
  });
});

const concurrent = join(capturesDir, '08-concurrent');

describe.skipIf(!existsSync(join(concurrent, 'truth.json')) || !hasCommand('editcap'))('08 captured from the middle (editcap -A): connections already open are not paired by guess', () => {
  it('pairs exactly the connections whose opening the capture holds, as tshark counts their SYNs', async () => {
    const t = tsharkFields(join(concurrent, 'lo.pcap'), 'frame.number == 250', ['frame.time_epoch'])[0][0];
    const out = tempDir('natflow-midstream-08-');
    const files = ['lo', 'docker0', 'eth0', 'veth2f22765', 'veth6b1f533'].map((i) => {
      const f = join(out, `${i}.pcap`);
      execFileSync('editcap', ['-A', t, join(concurrent, `${i}.pcap`), f]);
      return f;
    });
    const syns = (f: string): number => tsharkFields(f, 'tcp.flags.syn == 1 && tcp.flags.ack == 0', ['frame.number']).length;
    const r = await analyzeCaptures(files);
    const by = (m: string): number => r.analysis.correlations.filter((c) => c.mechanism === m).length;
    // The host's clients to 127.0.0.1 open on lo, the outside's on eth0: one conversation per SYN.
    expect(by('userland-proxy')).toBe(syns(files[0]));
    expect(by('dnat')).toBe(syns(files[2]));
    const openedBefore = (c: (typeof r.analysis.correlations)[number]): boolean => c.legs.every((id) => r.flowsById.get(id)!.midStream);
    expect(r.analysis.correlations.filter((c) => !openedBefore(c)).length).toBe(syns(files[0]) + syns(files[2]));
    // Copies of one connection already open, on docker0 and a container's port, are tied by the
    // packets both hold (as any bridged copies are): never a proxy or a rewrite by guess.
    for (const c of r.analysis.correlations.filter(openedBefore)) {
      expect(c.mechanism, c.id).toBe('bridge');
      expect(c.evidence.find((e) => e.kind === 'packets')?.count, c.id).toBeGreaterThan(0);
    }
    // The tails of connections open before the capture stay unpaired, with the reason.
    for (const id of r.analysis.unpaired) {
      const f = r.flowsById.get(id)!;
      expect(f.midStream, id).toBe(true);
      expect(r.explainUnpaired(f).join(' ')).toContain('the capture began after this connection had opened');
    }
  });
});

const ipv6Proxy = join(capturesDir, '13-ipv6-proxy');

describe.skipIf(!existsSync(join(ipv6Proxy, 'truth.json')))('a capture point recorded in several files, one of them started later (13: all.pcapng)', () => {
  it("lists each link-local flow once, though dumpcap's file missed the first of two MLD reports from ::", async () => {
    // eth0.pcap alone: the flows that one capture point holds.
    const alone = await analyzeCaptures([join(ipv6Proxy, 'eth0.pcap')]);
    const own = alone.flows.filter((f) => f.proto === 58).length;
    expect(own).toBeGreaterThan(0);
    const r = await analyzeCaptures([ipv6Proxy], { ifindexNames: parseLinksDump(readFileSync(join(ipv6Proxy, 'ip-link.txt'), 'utf8')) });
    const listed = r.analysis.unpaired.map((id) => r.flowsById.get(id)!).filter((f) => f.proto === 58);
    expect(listed).toHaveLength(own);
    // The later file's copy holds fewer packets of the same tuple, and is named a copy.
    const mld = listed.find((f) => f.src.ip === '::' && f.dst.ip === 'ff02::16')!;
    const shorter = r.flows.filter((f) => f.proto === 58 && f.src.ip === '::' && f.dst.ip === 'ff02::16' && f.fwd.packets < mld.fwd.packets);
    expect(shorter.length).toBeGreaterThan(0);
    const note = r.analysis.inferences.find((i) => i.startsWith('unpaired flows recorded in more than one file are listed once'))!;
    for (const s of shorter) expect(note).toContain(`${s.id} = ${mld.id}`);
  });
});

describe.skipIf(!existsSync(join(concurrent, 'truth.json')) || !hasCommand('editcap'))('08 captured from late on, on two interfaces only', () => {
  it('pairs no proxy from replies alike in full: with the requests before the capture, the same small response ties nothing', async () => {
    // From three quarters through: most requests are over, their identical replies remain.
    const times = tsharkFields(join(concurrent, 'any.pcap'), 'frame', ['frame.time_epoch']);
    const t = times[Math.floor(times.length * 0.75) + 1][0];
    const out = tempDir('natflow-late-08-');
    const cut = (i: string): string => {
      const f = join(out, `${i}.pcap`);
      execFileSync('editcap', ['-A', t, join(concurrent, `${i}.pcap`), f]);
      return f;
    };
    for (const pair of [['eth0', 'lo'], ['eth0', 'veth6b1f533']]) {
      const r = await analyzeCaptures(pair.map(cut));
      // Each of these interfaces holds one side of other conversations than the other's (truth.json):
      // eth0 the outside's DNATed calls, lo and the veth the proxy's.
      expect(r.analysis.correlations.filter((c) => c.mechanism === 'userland-proxy'), pair.join('+')).toEqual([]);
    }
  });
});
