/**
 * Users capture what they can: some interfaces, not all, and from some moment on. For every
 * recorded scenario, every set of one to three of its per-interface files, whole and cut by
 * editcap to begin a quarter and three quarters through its -i any capture's packets: no
 * conversation natflow reports may contradict truth.json. A partial view may see less (the
 * bridge copies of a DNATed call are `bridge` when eth0 is missing), never another rewrite or a
 * proxy where there was none. Found, before they were fixed: a container's egress on docker0 and
 * its veth told as a host's DNAT in nat OUTPUT, a routed call on eth0 and a veth told the same,
 * and a DNATed call paired with a proxied one by their identical short reply.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { plainCorrelation } from '../../src/correlate/lazy-correlation.js';
import type { Mechanism } from '../../src/correlate/model.js';
import { readCapture } from '../../src/read/index.js';
import { hasCommand } from '../helpers/tools.js';
import { tempDir } from '../helpers/temp-dir.js';
import { flowMatches, scenarios, type Scenario } from './truth.js';

/** What part of a conversation a subset of its capture points can show. */
const SEEN_AS: Record<string, readonly Mechanism[]> = {
  'userland-proxy': ['userland-proxy', 'bridge'],
  dnat: ['dnat', 'bridge'],
  snat: ['snat', 'bridge'],
  'dnat+snat': ['dnat+snat', 'dnat', 'snat', 'bridge'],
  bridge: ['bridge'],
};

function subsets<T>(items: readonly T[], max: number): T[][] {
  const out: T[][] = [];
  for (let m = 1; m < 1 << items.length; m++) {
    const s = items.filter((_, i) => (m & (1 << i)) !== 0);
    if (s.length <= max) out.push(s);
  }
  return out;
}

/**
 * Each per-interface file cut to begin at the `q`-th quantile of the -i any capture's packets
 * (their times read by natflow's reader: only where to cut depends on it, not what is checked).
 */
async function cutFiles(s: Scenario, q: number): Promise<Record<string, string>> {
  const times: string[] = [];
  await readCapture(s.any!, (rec) => {
    times.push(`${rec.tsSec}.${String(rec.tsNsec).padStart(9, '0')}`);
  });
  const t = times[Math.floor(times.length * q)];
  const dir = tempDir(`natflow-partial-${s.name}-`);
  const out: Record<string, string> = {};
  for (const [iface, file] of Object.entries(s.perInterface)) {
    out[iface] = join(dir, `${iface}.pcap`);
    execFileSync('editcap', ['-A', t, file, out[iface]]);
  }
  return out;
}

async function contradictions(s: Scenario, files: Record<string, string>): Promise<string[]> {
  const found: string[] = [];
  for (const set of subsets(Object.keys(files), 3)) {
    const r = await analyzeCaptures(set.map((i) => files[i]));
    for (const lazy of r.analysis.correlations) {
      const c = plainCorrelation(lazy);
      const legs = c.legs.map((id) => r.flowsById.get(id)!);
      const truth = s.conversations.find((t) => t.legs.some((l) => legs.some((f) => flowMatches(f, l.tuple))));
      if (truth === undefined) continue;
      const allowed = SEEN_AS[truth.mechanism] ?? [truth.mechanism];
      if (!allowed.includes(c.mechanism)) found.push(`${set.join('+')}: ${c.id} ${c.mechanism} (${legs.map((f) => `${f.iface} ${f.src.ip}:${f.src.port} → ${f.dst.ip}:${f.dst.port}`).join(', ')}) is ${truth.id}, ${truth.mechanism}`);
    }
  }
  return found;
}

const all = scenarios().filter((s) => Object.keys(s.perInterface).length > 0);

describe.skipIf(all.length === 0)('partial captures: some interfaces, from some moment on', () => {
  it('no subset of a scenario\'s capture points contradicts its truth', async () => {
    for (const s of all) expect(await contradictions(s, s.perInterface), s.name).toEqual([]);
  });

  it.skipIf(!hasCommand('editcap'))('nor the same cut to begin a quarter and three quarters through', async () => {
    for (const s of all.filter((x) => x.any !== null)) {
      for (const q of [0.25, 0.75]) expect(await contradictions(s, await cutFiles(s, q)), `${s.name} from ${q}`).toEqual([]);
    }
  });
});
