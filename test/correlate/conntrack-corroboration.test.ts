/**
 * --conntrack on the recorded dumps: ICMP echo entries match the echo conversations by addresses
 * and echo id (the reply direction carries the id MASQUERADE chose), and a proxy whose upstream
 * was refused is corroborated by the client's connection, which the dump does hold. Expected
 * values come from truth.json, never from natflow.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptures, type AnalyzeResult } from '../../src/correlate/analyze.js';
import type { Correlation } from '../../src/correlate/model.js';
import { corroborate, parseConntrack, type HopToAttribute } from '../../src/correlate/rules/index.js';
import { correlationOfTruth, type Scenario, scenariosByNumber, type TruthConversation } from './truth.js';

const byName = scenariosByNumber();
const tmp = mkdtempSync(join(tmpdir(), 'natflow-ct-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function analyze(s: Scenario, conntrackFile: string): Promise<AnalyzeResult> {
  return analyzeCaptures([s.dir], { conntrackFile });
}


function conntrackLine(r: AnalyzeResult): string {
  const line = r.analysis.inferences.find((l) => l.startsWith('--conntrack'));
  if (line === undefined) throw new Error('no --conntrack inference');
  return line;
}

const conntrackEvidence = (c: Correlation) => c.evidence.filter((e) => e.kind === 'conntrack').map((e) => e.detail);

/** `ip (echo id N)`, as natflow writes an ICMP client. */
function echoEnd(e: { ip: string; icmpId?: number }): string {
  return `${e.ip} (echo id ${e.icmpId})`;
}

function snatOf(t: TruthConversation): { from: { ip: string; icmpId?: number }; to: { ip: string; icmpId?: number } } {
  const snat = t.translation?.snat;
  if (!snat) throw new Error(`${t.id}: no snat in truth`);
  return snat;
}

/** Every conversation whose every leg's entry is in conntrack.txt (not only in the event log). */
function inDump(s: Scenario): number {
  return s.conversations.filter((t) => t.legs.every((l) => l.conntrackSource === 'conntrack.txt')).length;
}

describe.skipIf(!byName.has('03') || !byName.has('04'))('--conntrack: ICMP echo entries', () => {
  for (const name of ['03', '04']) {
    it(`${name}: each echo conversation is confirmed by its entry, the translated echo id read from the reply direction`, async () => {
      const s = byName.get(name)!;
      const r = await analyze(s, join(s.dir, 'conntrack.txt'));
      const echoes = s.conversations.filter((t) => t.proto === 'icmp');
      expect(echoes.length).toBeGreaterThan(0);
      for (const t of echoes) {
        const { from, to } = snatOf(t);
        const server = t.legs[0].tuple.dst;
        const c = correlationOfTruth(r, t);
        expect(conntrackEvidence(c), t.id).toEqual([
          `conntrack entry ${echoEnd(from)} → ${server} expects replies ${server} → ${echoEnd(to)}: the same translation`,
        ]);
        expect(c.notes.filter((n) => n.includes('contradicts')), t.id).toEqual([]);
      }
      expect(conntrackLine(r)).toMatch(new RegExp(`; ${inDump(s)} hop\\(s\\) confirmed, 0 contradicted, 0 not in the dump$`));
    });
  }

  it('04: the remapped echo id (4242 → 36264) is the one the entry expects replies to', async () => {
    const s = byName.get('04')!;
    const t = s.conversations.find((x) => x.proto === 'icmp' && snatOf(x).from.icmpId !== snatOf(x).to.icmpId);
    if (!t) throw new Error('04: no remapped echo in truth');
    const r = await analyze(s, join(s.dir, 'conntrack.txt'));
    const [line] = conntrackEvidence(correlationOfTruth(r, t));
    expect(line).toContain(`expects replies ${t.legs[0].tuple.dst} → ${echoEnd(snatOf(t).to)}`);
  });

  it('04: an entry expecting replies to another echo id contradicts the hop', async () => {
    const s = byName.get('04')!;
    const t = s.conversations.find((x) => x.proto === 'icmp' && snatOf(x).from.icmpId !== snatOf(x).to.icmpId)!;
    const { to } = snatOf(t);
    const wrongId = (to.icmpId ?? 0) + 1;
    const file = join(tmp, '04-wrong-id.txt');
    const text = readFileSync(join(s.dir, 'conntrack.txt'), 'utf8');
    expect(text).toContain(`type=0 code=0 id=${to.icmpId} `);
    writeFileSync(file, text.replace(`type=0 code=0 id=${to.icmpId} `, `type=0 code=0 id=${wrongId} `));
    const r = await analyze(s, file);
    const c = correlationOfTruth(r, t);
    const server = t.legs[0].tuple.dst;
    expect(conntrackEvidence(c)).toEqual([
      `conntrack entry ${echoEnd(snatOf(t).from)} → ${server} expects replies ${server} → ${to.ip} (echo id ${wrongId}), but the capture shows ${echoEnd(to)} → ${server}`,
    ]);
    expect(c.notes.some((n) => n.startsWith('conntrack contradicts this hop'))).toBe(true);
    expect(conntrackLine(r)).toMatch(new RegExp(`; ${inDump(s) - 1} hop\\(s\\) confirmed, 1 contradicted, 0 not in the dump$`));
  });

  it('04: a dump without the ICMP entries leaves the echoes not in the dump', async () => {
    const s = byName.get('04')!;
    const file = join(tmp, '04-no-icmp.txt');
    const lines = readFileSync(join(s.dir, 'conntrack.txt'), 'utf8').split('\n');
    writeFileSync(file, lines.filter((l) => !/\sicmp\s/.test(l)).join('\n'));
    const r = await analyze(s, file);
    const echoes = s.conversations.filter((t) => t.proto === 'icmp');
    for (const t of echoes) expect(conntrackEvidence(correlationOfTruth(r, t)), t.id).toEqual([]);
    expect(conntrackLine(r)).toMatch(new RegExp(`; ${inDump(s) - echoes.length} hop\\(s\\) confirmed, 0 contradicted, ${echoes.length} not in the dump$`));
  });

  it('ICMPv6 echo (icmpv6 58 … type=128 id=N): matched by addresses and echo id like ICMP', () => {
    // conntrack -L's spelling of an IPv6 echo MASQUERADEd with its id remapped.
    const entries = parseConntrack(
      'ipv6     10 icmpv6   58 29 src=fd00:17::2 dst=2001:db8:18::2 type=128 code=0 id=7 src=2001:db8:18::2 dst=2001:db8:18::1 type=129 code=0 id=9 mark=0 use=1\n',
    );
    const echo = (ip: string, id: number) => ({ ip, port: id });
    const server = { ip: '2001:db8:18::2', port: -1 };
    const hop: HopToAttribute = {
      mechanism: 'snat',
      before: { proto: 'ipv6-icmp', src: echo('fd00:17::2', 7), dst: server },
      after: { proto: 'ipv6-icmp', src: echo('2001:db8:18::1', 9), dst: server },
    };
    const v = corroborate(entries, hop);
    expect(v.verdict).toBe('confirms');
    expect(v.evidence.detail).toBe('conntrack entry [fd00:17::2] (echo id 7) → [2001:db8:18::2] expects replies [2001:db8:18::2] → [2001:db8:18::1] (echo id 9): the same translation');
    expect(corroborate(entries, { ...hop, after: { ...hop.after, src: echo('2001:db8:18::1', 7) } }).verdict).toBe('contradicts');
    expect(corroborate(entries, { ...hop, before: { ...hop.before, src: echo('fd00:17::2', 8) } }).verdict).toBe('absent');
  });
});

describe.skipIf(!byName.has('09'))('--conntrack: a proxy whose upstream was refused (09)', () => {
  it("is confirmed by the client's un-NATed connection; the refused upstream's missing entry is expected, and not counted as not in the dump", async () => {
    const s = byName.get('09')!;
    const r = await analyze(s, join(s.dir, 'conntrack.txt'));
    const t = s.conversations.find((x) => x.mechanism === 'userland-proxy')!;
    const text = (l: { tuple: { src: string; sport: number | null; dst: string; dport: number | null } }) => `${l.tuple.src}:${l.tuple.sport} → ${l.tuple.dst}:${l.tuple.dport}`;
    const client = t.legs.find((l) => l.role === 'client')!;
    const upstream = t.legs.find((l) => l.role === 'upstream')!;
    expect(conntrackEvidence(correlationOfTruth(r, t))).toEqual([
      `conntrack holds the client's connection ${text(client)} un-NATed, ending at the proxy; the proxy's refused connection ${text(upstream)} is not in the dump, as expected for a connection reset before it was established`,
    ]);
    // The DNATed connection refused by the container has no entry at all: that one is not in the dump.
    expect(conntrackLine(r)).toMatch(
      /; 1 hop\(s\) confirmed \(1 of them by one of the proxy's two connections, the other not in the dump\), 0 contradicted, 1 not in the dump \(1 of them refused with RST/,
    );
  });

  it('without a refusal, the missing half is said to have perhaps expired', () => {
    const s = byName.get('09')!;
    const entries = parseConntrack(readFileSync(join(s.dir, 'conntrack.txt'), 'utf8'));
    const tcp = (src: string, sport: number, dst: string, dport: number) => ({ proto: 'tcp', src: { ip: src, port: sport }, dst: { ip: dst, port: dport } });
    const hop: HopToAttribute = { mechanism: 'userland-proxy', before: tcp('127.0.0.1', 55420, '127.0.0.1', 5002), after: tcp('172.17.0.1', 32864, '172.17.0.2', 5002) };
    const v = corroborate(entries, hop, { upstreamRefused: false });
    expect(v.verdict).toBe('confirms');
    expect(v.oneConnection).toBe(true);
    expect(v.evidence.detail).toContain('no entry for the proxy\'s connection 172.17.0.1:32864 → 172.17.0.2:5002 (entries may have expired)');
  });
});

describe.skipIf(!byName.has('01'))('--conntrack: a proxy with both entries (01)', () => {
  it('is confirmed by two un-NATed connections, none counted as one connection alone', async () => {
    const s = byName.get('01')!;
    const r = await analyze(s, join(s.dir, 'conntrack.txt'));
    const t = s.conversations.find((x) => x.mechanism === 'userland-proxy')!;
    expect(conntrackEvidence(correlationOfTruth(r, t))[0]).toMatch(/^conntrack holds two un-NATed connections: /);
    expect(conntrackLine(r)).not.toContain("proxy's two connections");
  });
});

describe('--conntrack with `conntrack -E` events recorded during the capture (conntrack-events.txt)', () => {
  const withEvents = [...byName.values()].filter((s) => s.conversations.some((t) => t.legs.some((l) => l.conntrackSource === 'conntrack-events.txt')));

  it('each connection is one entry, however many events it had: as many as distinct tuple pairs in the log', () => {
    const eventLogs = [...byName.values()].map((s) => join(s.dir, 'conntrack-events.txt'));
    expect(eventLogs.length).toBeGreaterThan(20);
    for (const file of eventLogs) {
      const text = readFileSync(file, 'utf8');
      // Counted from the text itself: the protocol and the two src=… dst=… [ports | icmp] groups.
      const keys = new Set<string>();
      for (const line of text.split('\n')) {
        if (!/\[(NEW|UPDATE|DESTROY)\]/.test(line)) continue;
        const proto = /\] +(?:ipv[46] +\d+ +)?(\S+)/.exec(line.replace(/^\[[\d.]+\]\s*/, ''))![1];
        const groups = [...line.matchAll(/src=(\S+) dst=(\S+)((?: (?:sport|dport|type|code|id)=\S+)*)/g)].slice(0, 2).map((m) => m[0]);
        keys.add(`${proto} ${groups.join(' | ')}`);
      }
      const entries = parseConntrack(text);
      expect(entries.length, file).toBe(keys.size);
      expect(entries.every((e) => e.event !== null)).toBe(true);
    }
  });

  it('connections a dump taken afterwards cannot show (refused: their entries live for microseconds) are confirmed from the events', async () => {
    expect(withEvents.map((s) => s.name)).toEqual(expect.arrayContaining(['09-closed-port', '09b-closed-port-noproxy']));
    for (const s of withEvents) {
      const kernelOnlyInEvents = s.conversations.filter(
        (t) => ['dnat', 'snat', 'dnat+snat'].includes(t.mechanism) && t.legs.some((l) => l.conntrackSource === 'conntrack-events.txt'),
      );
      if (kernelOnlyInEvents.length === 0) continue;
      const dump = await analyze(s, join(s.dir, 'conntrack.txt'));
      const events = await analyze(s, join(s.dir, 'conntrack-events.txt'));
      for (const t of kernelOnlyInEvents) {
        expect(conntrackEvidence(correlationOfTruth(dump, t)), `${t.id} with the dump`).toEqual([]);
        const found = conntrackEvidence(correlationOfTruth(events, t));
        expect(found, `${t.id} with the events`).toHaveLength(1);
        expect(found[0]).toMatch(/: the same translation/);
      }
      expect(conntrackLine(dump)).toMatch(/not in the dump \(\d+ of them refused with RST: .*; `conntrack -E` recorded during the capture does\)$/);
      expect(conntrackLine(events)).toMatch(/ \(from conntrack -E events\); \d+ hop\(s\) confirmed, 0 contradicted, 0 not in the dump$/);
      // Both files: a connection in the listing and the log counts once.
      const both = await analyzeCaptures([s.dir], { conntrackFile: [join(s.dir, 'conntrack.txt'), join(s.dir, 'conntrack-events.txt')] });
      const tuple = (t: { src: string; dst: string; sport: number | null; dport: number | null; icmpId: number | null }) => [t.src, t.dst, t.sport, t.dport, t.icmpId];
      const keyOf = (e: ReturnType<typeof parseConntrack>[number]) => JSON.stringify([e.zone, e.proto, tuple(e.orig), tuple(e.reply)]);
      const listed = parseConntrack(readFileSync(join(s.dir, 'conntrack.txt'), 'utf8')).map(keyOf);
      const logged = parseConntrack(readFileSync(join(s.dir, 'conntrack-events.txt'), 'utf8')).map(keyOf);
      const union = new Set([...listed, ...logged]).size;
      const onlyLogged = union - new Set(listed).size;
      expect(onlyLogged).toBeGreaterThan(0);
      expect(conntrackLine(both)).toMatch(new RegExp(`: ${union} entries \\(${onlyLogged} from conntrack -E events\\); \\d+ hop\\(s\\) confirmed, 0 contradicted, 0 not in the dump$`));
    }
  });
});
