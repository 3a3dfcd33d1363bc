/**
 * A NATed conversation has one Community ID per side; natflow names the pair (docker-nat-facts §5).
 * Each correlation lists its legs' Community IDs and a pair id that stays the same however the
 * same sides were captured: per-interface files in any order, one `-i any` capture, a pcapng.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures, type AnalyzeResult } from '../../src/correlate/analyze.js';
import { pairId } from '../../src/correlate/pair-id.js';
import { parseLinksDump } from '../../src/flows/interface-names.js';
import { anyCaptureLacksTcpFlags, scenarios } from './truth.js';

const all = scenarios();

/** Pair id per conversation, keyed by what names it independently of flow numbering: mechanism and Community IDs. */
function pairIds(r: AnalyzeResult): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of r.analysis.correlations) {
    // Bridged multicast (IGMP reports) is background noise, present in some captures only.
    if (c.mechanism === 'bridge') continue;
    out.set(`${c.mechanism} ${[...new Set(c.communityIds)].sort().join(' ')}`, c.pairId);
  }
  return out;
}

describe.skipIf(all.length === 0)('pair id and the legs\' Community IDs', () => {
  for (const s of all) {
    it(`${s.name}: one Community ID per leg, the pair id the same from files in either order, -i any and pcapng`, async () => {
      const files = Object.values(s.perInterface).sort();
      const forward = await analyzeCaptures(files);
      const backward = await analyzeCaptures([...files].reverse());
      for (const c of forward.analysis.correlations) {
        expect(c.communityIds).toEqual(c.legs.map((id) => forward.flowsById.get(id)!.communityId));
        expect(c.communityIds.every((x) => x.startsWith('1:'))).toBe(true);
        // The documented formula, computed here from the legs' Community IDs.
        const sides = [...new Set(c.communityIds)].sort().join('\n');
        expect(c.pairId).toBe(`nf1:${createHash('sha1').update(sides).digest('base64')}`);
      }
      const ids = pairIds(forward);
      // Distinct conversations, distinct ids.
      expect(new Set(ids.values()).size).toBe(ids.size);
      // Flow ids change with the file order; the pair ids do not.
      expect(pairIds(backward)).toEqual(ids);
      // An -i any copy that kept no TCP flags (IPv6 at a 68-byte snaplen) shows no handshake to pair.
      if (s.any !== null && !anyCaptureLacksTcpFlags(s)) {
        const names = parseLinksDump(readFileSync(join(s.dir, 'ip-link.txt'), 'utf8'));
        expect(pairIds(await analyzeCaptures([s.any], { ifindexNames: names }))).toEqual(ids);
      }
      if (s.pcapng !== null) {
        const ng = await analyzeCaptures([s.pcapng]);
        // A side that only a capture point missing from the pcapng saw (a hairpin's veth) is not
        // in its conversations, which then have another id: compare those it saw every side of.
        const ngSides = new Set(ng.flows.map((f) => f.communityId));
        const comparable = forward.analysis.correlations.filter((c) => c.mechanism !== 'bridge' && c.communityIds.every((x) => ngSides.has(x)));
        const ngIds = new Set(pairIds(ng).values());
        for (const c of comparable) expect(ngIds.has(c.pairId), `${c.id} ${c.mechanism}`).toBe(true);
        // And a side is missing only where the pcapng lacks one of the legs' interfaces.
        const ngIfaces = new Set(ng.analysis.captures.flatMap((c) => c.interfaces));
        for (const c of forward.analysis.correlations) {
          if (c.mechanism === 'bridge' || comparable.includes(c)) continue;
          expect(c.legs.some((id) => !ngIfaces.has(forward.flowsById.get(id)!.iface)), `${c.id}: a side missing from the pcapng`).toBe(true);
        }
      }
    });
  }

  it('depends on the set of sides only, not on order or on repeats of one side', () => {
    const outside = '1:K6iJuS59Wu/46TjLLqPTU5W5Myc=';
    const inside = '1:MBWitU7wvSxbFadn9mv5wQU5dKg=';
    expect(pairId([outside, inside, inside])).toBe(pairId([inside, outside]));
    expect(pairId([outside, inside])).not.toBe(pairId([outside]));
    expect(pairId([outside])).toMatch(/^nf1:[A-Za-z0-9+/]{27}=$/);
  });
});
