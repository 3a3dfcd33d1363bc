import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/present/report/index.js';
import { analyze, attrValues, correlationSections, scenarios, unescapeHtml, type Scenario, type TruthConversation } from './scenarios.js';

const all = scenarios();

function sectionFor(sections: string[], marker: string): string[] {
  // Whole marker only: nf-s08-d1 must not find nf-s08-d10.
  const re = new RegExp(`${marker.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9a-z])`);
  return sections.filter((s) => re.test(attrValues(s, 'data-search')[0] ?? ''));
}

/** Text of the SVG elements with class `field changed …` (the highlighted fields of a crossing). */
function changedFields(section: string): string[] {
  return [...section.matchAll(/<text class="field changed[^"]*"[^>]*>([^<]*)<\/text>/g)].map((m) => unescapeHtml(m[1]));
}

describe('natflow report on the recorded scenarios', () => {
  it('finds the lab scenarios', () => {
    expect(all.map((s) => s.name)).toContain('01-localhost-proxy');
    expect(all.length).toBeGreaterThanOrEqual(9);
  });

  for (const sc of all) {
    describe(sc.name, () => {
      it('has one section and one SVG ladder per correlation, lanes named after the interfaces, the rewrite marked', async () => {
        const { analysis, flowMap } = await analyze(sc.files);
        const html = renderReport(analysis, flowMap);
        const sections = correlationSections(html);
        expect(sections).toHaveLength(analysis.correlations.length);
        for (const s of sections) expect(s.match(/<svg class="ladder"/g)).toHaveLength(1);
        expect(html.match(/<svg class="ladder"/g) ?? []).toHaveLength(analysis.correlations.length);

        checkTruth(sc, html, sections);
        // Each conversation names its sides' Community IDs and its pair id, and is found by them.
        analysis.correlations.forEach((c, i) => {
          const section = sections[i];
          for (const id of c.legs) expect(section, `${c.id} ${id}`).toContain(`<td class="mono">${flowMap.get(id)!.communityId}</td>`);
          expect(section).toContain(`Pair id <code>${c.pairId}</code>`);
          const search = attrValues(section, 'data-search')[0] ?? '';
          for (const x of [...c.communityIds, c.pairId]) expect(search).toContain(x.toLowerCase());
        });
      });
    });
  }
});

function checkTruth(sc: Scenario, html: string, sections: string[]): void {
  for (const t of sc.truth.conversations) {
    if (t.marker === null || (t.markerKind !== 'http-query' && t.markerKind !== 'dns-qname')) continue;
    const mine = sectionFor(sections, t.marker);
    if (t.mechanism === 'none') {
      // One leg, no NAT: listed with the unpaired flows, not drawn as a conversation.
      expect(mine, `${t.id} should not be a conversation`).toHaveLength(0);
      const unpaired = html.slice(html.indexOf('<section id="unpaired"'));
      expect(attrValues(unpaired, 'data-search').some((s) => s.includes(t.marker!.toLowerCase())), `${t.id} in unpaired`).toBe(true);
      continue;
    }
    expect(mine, `${t.id}: one section carries marker ${t.marker}`).toHaveLength(1);
    const s = mine[0];
    // Every interface that carried the conversation names a leg of the ladder.
    const ifaces = attrValues(s, 'data-iface');
    for (const leg of t.legs) for (const i of leg.interfaces) expect(ifaces, `${t.id}: leg on ${i}`).toContain(i);
    const written = [...s.matchAll(/<text class="leg-iface"[^>]*>([^<]*)<\/text>/g)].map((m) => unescapeHtml(m[1]));
    expect(written).toEqual(ifaces);
    // The client lane shows the client as the first capture point saw it.
    const first = t.legs[0];
    if (first.interfaces.length > 0 && first.tuple.sport !== null) {
      const client = s.match(/<g class="lane" data-role="client"[^>]*><title>([^<]*)<\/title>/);
      expect(client, `${t.id}: client lane`).not.toBeNull();
      // An IPv6 endpoint is written [addr]:port.
      const host = first.tuple.src.includes(':') ? `[${first.tuple.src}]` : first.tuple.src;
      expect(unescapeHtml(client![1])).toContain(`${host}:${first.tuple.sport}`);
    }
    // Where the conversation crosses legs: the proxy hand-off, or the NAT rewrite with its changed fields.
    if (t.mechanism === 'userland-proxy') expect(s, `${t.id}: proxy hand-off marked`).toMatch(/<g class="crossing" data-mechanism="userland-proxy"/);
    const changed = changedFields(s);
    // A rewrite can only be drawn when the wire shows the address before it (06: DNAT in OUTPUT happens before any capture point).
    const onWire = (pred: (tu: TruthConversation['legs'][number]['tuple']) => boolean): boolean => t.legs.some((l) => l.interfaces.length > 0 && pred(l.tuple));
    if (t.translation?.dnat && onWire((tu) => tu.dst === t.translation!.dnat!.from.ip)) {
      const { from, to } = t.translation.dnat;
      expect(changed, `${t.id}: DNAT highlighted`).toContain(`dst-ip ${from.ip} → ${to.ip}`);
    }
    if (t.translation?.snat && onWire((tu) => tu.src === t.translation!.snat!.from.ip)) {
      const { from, to } = t.translation.snat;
      expect(changed, `${t.id}: SNAT highlighted`).toContain(`src-ip ${from.ip} → ${to.ip}`);
    }
  }
}

describe('long captures', () => {
  it('08-concurrent: collapsed sections, diagrams limited to N packets per leg and to the first conversations, with notes', async () => {
    const sc = all.find((s) => s.name === '08-concurrent')!;
    const { analysis, flowMap } = await analyze(sc.files);
    const html = renderReport(analysis, flowMap, { maxPacketsPerLeg: 4, maxDiagrams: 10 });
    const sections = correlationSections(html);
    expect(sections.length).toBe(sc.truth.conversations.length);
    expect(html.match(/<svg class="ladder"/g)).toHaveLength(10);
    // Only the first conversation starts open; the rest are one click away.
    expect(sections.filter((s) => s.includes('<details open>'))).toHaveLength(1);
    // An HTTP exchange has more than 4 packets per leg: each drawn leg says how many it left out.
    for (const s of sections.slice(0, 10)) {
      const notes = [...s.matchAll(/: first 4 of (\d+) packets drawn/g)].map((m) => Number(m[1]));
      expect(notes.length).toBe(attrValues(s, 'data-iface').length);
      for (const n of notes) expect(n).toBeGreaterThan(4);
      expect(s.match(/<g class="pkt /g)!.length).toBeLessThanOrEqual(4 * notes.length);
    }
    for (const s of sections.slice(10)) expect(s).toContain('Diagram not drawn');
  });
});

describe('self-contained page', () => {
  it('needs no network: no src/href attribute, no URL but the SVG namespace, one inline script', async () => {
    const sc = all.find((s) => s.name === '01-localhost-proxy')!;
    const { analysis, flowMap } = await analyze(sc.files);
    const html = renderReport(analysis, flowMap);
    expect(html).not.toMatch(/\s(src|href|xlink:href)\s*=/i);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;/);
    // Summary on top: captures, interfaces, counts per mechanism, clock offsets.
    const summary = html.slice(html.indexOf('<section id="summary"'), html.indexOf('<main'));
    for (const f of sc.files) expect(summary).toContain(f);
    expect(summary).toContain('<span data-mechanism="userland-proxy"><b>1</b> userland-proxy</span>');
    expect(summary).toContain('<th>clock offset</th>');
  });
});
