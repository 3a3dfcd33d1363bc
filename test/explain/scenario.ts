import { loadCaptures } from '../../src/flows/load-captures.js';
import type { Flow } from '../../src/flows/flow.js';
import type { Correlation, Hop, Mechanism } from '../../src/correlate/model.js';
import { pairId } from '../../src/correlate/pair-id.js';
import { readScenarioJson, scenarioCaptures } from '../helpers/scenario-dir.js';
import type { Truth, TruthConversation, TruthTuple } from '../helpers/truth.js';

export interface Scenario {
  flows: Map<string, Flow>;
  truth: TruthConversation[];
  /** The lab's ground truth turned into Correlations over the real flows (no correlator involved). */
  correlations: Correlation[];
  ifaces: string[];
}

const PROTO: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };

function sameTuple(f: Flow, t: TruthTuple): boolean {
  if (f.proto !== PROTO[t.proto]) return false;
  if (f.proto === 1) return f.src.ip === t.src && f.dst.ip === t.dst && f.icmp?.echoId === t.icmpId;
  return f.src.ip === t.src && f.src.port === t.sport && f.dst.ip === t.dst && f.dst.port === t.dport;
}

/** Reads every per-interface pcap of a recorded scenario and pairs flows as truth.json says. */
export async function loadScenario(name: string): Promise<Scenario> {
  const files = scenarioCaptures(name);
  const res = await loadCaptures(files);
  const flows = new Map(res.flows.map((f) => [f.id, f]));
  const truth = readScenarioJson<Truth>(name, 'truth.json').conversations;
  const correlations: Correlation[] = [];
  for (const conv of truth) {
    const legIds: string[][] = [];
    for (const leg of conv.legs) {
      const ids: string[] = [];
      for (const i of leg.interfaces) {
        const f = res.flows.find((x) => x.iface === i && sameTuple(x, leg.tuple));
        if (f) ids.push(f.id);
        // Replies under another tuple on this interface (reverse NAT at the bridge hook, facts §3).
        for (const r of leg.replies?.[i] ?? []) {
          const rev = { ...r, src: r.dst, sport: r.dport, dst: r.src, dport: r.sport };
          const t = leg.tuple;
          if (rev.src === t.src && rev.sport === t.sport && rev.dst === t.dst && rev.dport === t.dport) continue;
          const half = res.flows.find((x) => x.iface === i && x.halfFlow && (sameTuple(x, r) || sameTuple(x, rev)));
          if (half && !ids.includes(half.id)) ids.push(half.id);
        }
      }
      legIds.push(ids);
    }
    const hops: Hop[] = [];
    const all = legIds.flat();
    for (let k = 0; k < legIds.length; k++) {
      const ids = legIds[k];
      for (let j = 1; j < ids.length; j++) {
        const a = flows.get(ids[j - 1])!;
        const b = flows.get(ids[j])!;
        if (!b.halfFlow && !a.halfFlow) hops.push(hop(a, b, 'bridge'));
      }
      if (k > 0 && legIds[k - 1].length && ids.length) {
        hops.push(hop(flows.get(legIds[k - 1][0])!, flows.get(ids.find((id) => !flows.get(id)!.halfFlow) ?? ids[0])!, conv.mechanism));
      }
    }
    const communityIds = all.map((id) => flows.get(id)!.communityId);
    correlations.push({ id: conv.id, mechanism: conv.mechanism, confidence: 1, legs: all, communityIds, pairId: pairId(communityIds), hops, evidence: [], explanation: [], notes: [], copies: [] });
  }
  return { flows, truth, correlations, ifaces: files.map((f) => f.split('/').pop()!.replace(/\.pcap$/, '')) };
}

function hop(a: Flow, b: Flow, mechanism: Mechanism): Hop {
  const fields: Hop['fields'] = [];
  if (a.fwd.firstTtl !== null && b.fwd.firstTtl !== null) {
    fields.push({ field: 'ttl', from: String(a.fwd.firstTtl), to: String(b.fwd.firstTtl), verdict: a.fwd.firstTtl === b.fwd.firstTtl ? 'preserved' : 'shifted' });
  }
  const latency = (b.firstUs - a.firstUs) / 1e6;
  return { from: a.id, to: b.id, mechanism, rewrite: `${a.src.ip}:${a.src.port} → ${a.dst.ip}:${a.dst.port} ⇒ ${b.src.ip}:${b.src.port} → ${b.dst.ip}:${b.dst.port}`, rule: null, latency, fields };
}
