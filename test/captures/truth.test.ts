/**
 * Every lab recording under captures/ must agree with its truth.json, read with natflow's own
 * reader and decoder: a broken or half-regenerated recording cannot land silently.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { capturesDir } from '../helpers/paths.js';
import { readJson as loadJson, scenarioNames as scenarioDirs } from '../helpers/scenario-dir.js';
import { type CaptureIndex, indexCapture, tupleKey } from './lab-captures.js';
import type { ScenarioMeta as Meta, Truth } from '../helpers/truth.js';

const KERNEL_NAT = new Set(['dnat', 'snat', 'dnat+snat']);

/** The marker as a whole word: nf-s08-p1 must not match inside nf-s08-p10. */
function hasMarker(payload: string, marker: string): boolean {
  return new RegExp(marker.replace(/[-]/g, '\\-') + '(?![0-9a-z])').test(payload);
}
const dirs = scenarioDirs();

describe('the recorded scenarios', () => {
  it('cover every scenario the recorder knows', () => {
    const listed = execFileSync('bash', [path.join(capturesDir, 'record.sh'), 'list'], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(listed.length).toBeGreaterThanOrEqual(10);
    for (const s of listed) expect(dirs, `captures/${s}/truth.json is missing`).toContain(s);
  });
});

describe.each(dirs)('%s', (dir) => {
  const base = path.join(capturesDir, dir);
  const truth = loadJson<Truth>(path.join(base, 'truth.json'));
  const meta = loadJson<Meta>(path.join(base, 'meta.json'));
  const perIface = new Map<string, CaptureIndex>();
  let any: CaptureIndex;
  let pcapng: CaptureIndex;

  beforeAll(async () => {
    for (const name of Object.keys(meta.captures.perInterface)) {
      const file = path.join(base, meta.captures.perInterface[name]);
      perIface.set(name, await indexCapture(file, () => name));
    }
    // -i any (LINUX_SLL2) names interfaces only by index: meta.json maps them (ip -j link).
    any = await indexCapture(path.join(base, meta.captures.any), (pkt) => meta.interfaces[String(pkt.sllIfIndex)] ?? '?');
    pcapng = await indexCapture(path.join(base, meta.captures.pcapng), (_p, name) => name ?? '?');
  });

  it('has the truth schema, a mode matching meta.json and at least one conversation', () => {
    expect(truth.schema).toBe('natflow-capture-truth/1');
    expect(truth.scenario).toBe(dir.replace(/--snaplen\d+$/, '').replace(/--no-proxy$/, ''));
    expect(truth.mode).toBe(meta.mode);
    expect(truth.conversations.length).toBeGreaterThan(0);
    expect(new Set(truth.conversations.map((c) => c.id)).size).toBe(truth.conversations.length);
  });

  it('has the capture formats it claims: Ethernet per interface, LINUX_SLL2 for any, named pcapng', () => {
    for (const idx of perIface.values()) expect([...idx.linktypes]).toEqual([1]);
    expect([...any.linktypes]).toEqual([276]);
    expect([...pcapng.linktypes]).toEqual([1]);
    const named = meta.pcapngInterfaces ?? ['lo', 'docker0', 'eth0'];
    expect([...pcapng.interfaceNames].every((n) => named.includes(n))).toBe(true);
    expect(any.records).toBeGreaterThan(0);
  });

  it('shows every leg tuple on each interface truth.json names, in every capture of it', () => {
    for (const c of truth.conversations) {
      for (const leg of c.legs) {
        for (const iface of leg.interfaces) {
          const k = `${iface}|${tupleKey(leg.tuple)}`;
          expect(perIface.get(iface)!.byTuple.get(`${iface}|${tupleKey(leg.tuple)}`), `${c.id}: ${k} in ${iface}.pcap`).toBeDefined();
          expect(any.byTuple.get(k), `${c.id}: ${k} in any.pcap (SLL2 ifindex)`).toBeDefined();
          if ((meta.pcapngInterfaces ?? ['lo', 'docker0', 'eth0']).includes(iface)) {
            expect(pcapng.byTuple.get(k), `${c.id}: ${k} in all.pcapng`).toBeDefined();
          }
        }
      }
    }
  });

  it('shows each ICMP error on every interface truth.json names, quoting the tuple of the leg there, with IP IDs NAT left alone', () => {
    for (const c of truth.conversations) {
      for (const e of c.icmpErrors ?? []) {
        expect(e.legs.length, `${c.id}: an ICMP error leg`).toBeGreaterThan(0);
        for (const leg of e.legs) {
          // The quoted header is the conversation's own tuple on that interface (translated by NAT).
          const quotedLeg = c.legs.find((l) => l.role === leg.quotes)!;
          expect(leg.quoted, `${c.id}: quoted header on ${leg.interfaces.join(',')}`).toEqual(quotedLeg.tuple);
          expect(leg.interfaces.every((i) => quotedLeg.interfaces.includes(i))).toBe(true);
          for (const iface of leg.interfaces) {
            const want = { type: e.type, code: e.code, src: leg.src, dst: leg.dst, ipId: e.ipId, quotedIpId: e.quotedIpId, quoted: tupleKey(leg.quoted) };
            expect(perIface.get(iface)!.icmpErrors.get(iface), `${c.id}: ICMP error in ${iface}.pcap`).toContainEqual(want);
            expect(any.icmpErrors.get(iface), `${c.id}: ICMP error on ${iface} in any.pcap`).toContainEqual(want);
            if ((meta.pcapngInterfaces ?? ['lo', 'docker0', 'eth0']).includes(iface)) expect(pcapng.icmpErrors.get(iface), `${c.id}: ICMP error on ${iface} in all.pcapng`).toContainEqual(want);
          }
        }
      }
    }
  });

  it('shows a locally NATed connection nowhere under the tuple the process opened', () => {
    for (const c of truth.conversations) {
      for (const leg of c.legs.filter((l) => l.interfaces.length === 0)) {
        expect(leg.role).toBe('local-origin');
        for (const [name, idx] of perIface) {
          expect(idx.byTuple.has(`${name}|${tupleKey(leg.tuple)}`), `${c.id}: ${tupleKey(leg.tuple)} on ${name}`).toBe(false);
        }
        expect([...any.byTuple.keys()].some((k) => k.endsWith(`|${tupleKey(leg.tuple)}`))).toBe(false);
      }
    }
  });

  it('carries each marker in the payload of the legs that have data', () => {
    for (const c of truth.conversations) {
      if (!c.marker) continue;
      const withData = c.legs.flatMap((l) =>
        l.interfaces.map((i) => perIface.get(i)?.byTuple.get(`${i}|${tupleKey(l.tuple)}`)?.payload ?? ''),
      );
      const carrying = withData.filter((p) => hasMarker(p, c.marker!));
      expect(carrying.length, `${c.id}: marker ${c.marker} on some leg`).toBeGreaterThan(0);
      // A marker seen in a different conversation's leg would mean the linking is wrong.
      for (const other of truth.conversations) {
        if (other === c || !other.marker) continue;
        expect(withData.some((p) => hasMarker(p, other.marker!)), `${c.id} carries ${other.marker}`).toBe(false);
      }
    }
  });

  it('keeps the TCP ISN across kernel NAT and changes it across the userland proxy', () => {
    for (const c of truth.conversations) {
      if (c.proto !== 'tcp') continue;
      const isns = c.legs.filter((l) => l.interfaces.length > 0).map((l) => {
        const seen = l.interfaces.map((i) => perIface.get(i)!.byTuple.get(`${i}|${tupleKey(l.tuple)}`)!.synSeq);
        expect(seen.every((s) => s !== null && s === seen[0]), `${c.id}: one SYN ISN per leg`).toBe(true);
        return seen[0];
      });
      if (KERNEL_NAT.has(c.mechanism)) {
        expect(new Set(isns).size, `${c.id}: ${c.mechanism} keeps the ISN`).toBe(1);
      } else if (c.mechanism === 'userland-proxy' && c.linkedBy) {
        const client = c.legs.find((l) => l.role === 'client')!;
        const upstream = c.legs.find((l) => l.role === 'upstream')!;
        expect(client, `${c.id}: proxy client leg`).toBeDefined();
        expect(upstream, `${c.id}: proxy upstream leg`).toBeDefined();
        const isnOf = (l: typeof client) => perIface.get(l.interfaces[0])!.byTuple.get(`${l.interfaces[0]}|${tupleKey(l.tuple)}`)!.synSeq;
        expect(isnOf(client), `${c.id}: the proxy opens a new connection`).not.toBe(isnOf(upstream));
      }
    }
  });

  it('describes each kernel translation consistently with its legs', () => {
    for (const c of truth.conversations) {
      if (!KERNEL_NAT.has(c.mechanism)) {
        expect(c.translation).toBeNull();
        continue;
      }
      const first = c.legs[0].tuple;
      const last = c.legs[c.legs.length - 1].tuple;
      const port = (t: typeof first, side: 'src' | 'dst') =>
        t.proto === 'icmp' ? { ip: t[side], icmpId: t.icmpId } : { ip: t[side], port: side === 'src' ? t.sport : t.dport };
      if (c.translation!.dnat) {
        expect(c.translation!.dnat.from).toEqual(port(first, 'dst'));
        expect(c.translation!.dnat.to).toEqual(port(last, 'dst'));
      } else expect(last.dst).toBe(first.dst);
      if (c.translation!.snat) {
        expect(c.translation!.snat.from).toEqual(port(first, 'src'));
        expect(c.translation!.snat.to).toEqual(port(last, 'src'));
      } else expect(last.src).toBe(first.src);
    }
  });
});

// What each scenario exists to show (issue 4), checked against the recorded truth.
const purpose: Record<string, (t: Truth) => void> = {
  '01-localhost-proxy': (t) => {
    const c = t.conversations.filter((x) => x.mechanism === 'userland-proxy');
    expect(c).toHaveLength(1);
    expect(c[0].linkedBy).toBe('marker');
    expect(c[0].legs.map((l) => l.interfaces[0])).toEqual(['lo', 'docker0']);
    expect(c[0].legs[1].tuple.src).toBe('172.17.0.1');
  },
  '02-external-dnat': (t) => {
    expect(t.conversations.map((c) => c.mechanism)).toEqual(['dnat']);
    expect(t.conversations[0].legs[1].tuple.src).toBe('198.18.0.2'); // client IP preserved
  },
  '03-egress-masquerade': (t) => {
    expect(t.conversations.map((c) => `${c.proto}:${c.mechanism}`).sort()).toEqual(['icmp:snat', 'tcp:snat', 'udp:snat']);
  },
  '04-port-collision': (t) => {
    for (const proto of ['tcp', 'udp', 'icmp']) {
      const snats = t.conversations.filter((c) => c.proto === proto).map((c) => c.translation!.snat!);
      expect(snats).toHaveLength(2);
      const kept = snats.filter((s) => (s.from.port ?? s.from.icmpId) === (s.to.port ?? s.to.icmpId));
      expect(kept, `${proto}: exactly one keeps its source port / echo id`).toHaveLength(1);
    }
  },
  '05a-hairpin-proxy': (t) => {
    expect(t.conversations.map((c) => c.mechanism)).toEqual(['userland-proxy']);
    expect(t.conversations[0].legs[0].tuple.src).toBe('172.17.0.2');
  },
  '05b-hairpin-noproxy': (t) => {
    expect(t.conversations.map((c) => c.mechanism)).toEqual(['dnat+snat']);
  },
  '06-localhost-noproxy': (t) => {
    expect(t.conversations.map((c) => c.mechanism)).toEqual(['dnat+snat']);
    expect(t.conversations[0].legs.flatMap((l) => l.interfaces)).not.toContain('lo');
  },
  '07-host-network': (t) => {
    expect(t.conversations.map((c) => c.mechanism)).toEqual(['none']);
    expect(t.conversations[0].legs.map((l) => l.interfaces)).toEqual([['lo']]);
  },
  '08-concurrent': (t) => {
    const proxied = t.conversations.filter((c) => c.mechanism === 'userland-proxy' && c.linkedBy === 'marker');
    const dnat = t.conversations.filter((c) => c.mechanism === 'dnat');
    expect(proxied.length).toBeGreaterThanOrEqual(50);
    expect(dnat.length).toBeGreaterThanOrEqual(50);
    expect(new Set(dnat.map((c) => c.legs[1].tuple.dst))).toEqual(new Set(['172.17.0.2', '172.17.0.3']));
  },
  '09-closed-port': (t) => {
    const proxy = t.conversations.find((c) => c.mechanism === 'userland-proxy')!;
    expect(proxy.legs.map((l) => l.role)).toEqual(['client', 'upstream']);
    expect(t.conversations.some((c) => c.mechanism === 'dnat')).toBe(true);
  },
  '10-localhost-udp-proxy': (t) => {
    const c = t.conversations.filter((x) => x.mechanism === 'userland-proxy' && x.proto === 'udp' && x.linkedBy === 'marker');
    expect(c).toHaveLength(3);
    for (const x of c) {
      expect(x.legs.map((l) => `${l.role}:${l.interfaces[0]}`)).toEqual(['client:lo', 'upstream:docker0']);
      expect(x.legs[1].tuple.src).toBe('172.17.0.1');
    }
    // Like docker-proxy, a new source port towards the container for each client.
    expect(new Set(c.map((x) => x.legs[1].tuple.sport)).size).toBe(3);
  },
  '11-udp-closed-port': (t) => {
    expect(t.conversations.map((c) => `${c.proto}:${c.mechanism}`)).toEqual(['udp:dnat']);
    const [c] = t.conversations;
    const ingress = c.legs.find((l) => l.role === 'ingress')!;
    const egress = c.legs.find((l) => l.role === 'egress')!;
    // -p 5005:53/udp: host and container port differ, so the quoted header's rewrite shows.
    expect(ingress.tuple.dport).not.toBe(egress.tuple.dport);
    expect(c.icmpErrors).toHaveLength(1);
    const [e] = c.icmpErrors!;
    expect([e.type, e.code]).toEqual([3, 3]); // port unreachable
    const inside = e.legs.find((l) => l.quotes === 'egress')!;
    const outside = e.legs.find((l) => l.quotes === 'ingress')!;
    expect(inside.interfaces).toContain('docker0');
    expect(outside.interfaces).toEqual(['eth0']);
    // The container sent it; on eth0 it comes from the address the client sent to.
    expect(inside.src).toBe(egress.tuple.dst);
    expect(outside.src).toBe(ingress.tuple.dst);
    expect(inside.dst).toBe(ingress.tuple.src);
    expect(outside.dst).toBe(ingress.tuple.src);
  },
};

describe('each scenario shows what it was recorded for', () => {
  it.each(Object.keys(purpose))('%s', (dir) => {
    const file = path.join(capturesDir, dir, 'truth.json');
    expect(existsSync(file), `${file}`).toBe(true);
    purpose[dir](loadJson<Truth>(file));
  });
});
