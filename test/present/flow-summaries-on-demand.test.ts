/**
 * While the analysis' flow summaries are unwritten, the text and JSON presenters summarize each
 * flow as they print it (src/correlate/flow-summaries.ts). Whichever path runs, the output is the
 * same: rendered first (on demand) and again after `analysis.flows` was read (from the list).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/correlate/analyze.js';
import { unsummarizedFlows } from '../../src/correlate/flow-summaries.js';
import type { Analysis } from '../../src/correlate/model.js';
import type { Flow } from '../../src/flows/flow.js';
import { writeAnalysisJson } from '../../src/present/analysis-json.js';
import { renderAnalysisText } from '../../src/present/analysis-text.js';
import { parseSelection, selectConversations } from '../../src/present/select-conversations.js';
import { capturesDir } from '../helpers/paths.js';

const scenarioDirs = readdirSync(capturesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && readdirSync(path.join(capturesDir, d.name)).some((f) => /\.pcap(ng)?$/.test(f)))
  .map((d) => path.join(capturesDir, d.name))
  .sort();

function json(a: Analysis): string {
  let out = '';
  writeAnalysisJson(a, (c) => {
    out += c;
  });
  return out;
}

/** Text and JSON on demand, then with the summaries written; the two must agree. */
function expectBothPathsAgree(a: Analysis, flows: Map<string, Flow>): string {
  expect(unsummarizedFlows(a), 'summaries already written: the on-demand path would not run').not.toBeNull();
  const text = renderAnalysisText(a, flows, { color: false, width: 80 });
  const doc = json(a);
  // Printing did not write (and keep) the whole list.
  expect(unsummarizedFlows(a)).not.toBeNull();
  expect(a.flows.length).toBeGreaterThan(0);
  expect(unsummarizedFlows(a)).toBeNull();
  expect(renderAnalysisText(a, flows, { color: false, width: 80 })).toBe(text);
  expect(json(a)).toBe(doc);
  return text;
}

describe('flow summaries made as printed', () => {
  it.each(scenarioDirs.map((d) => [path.basename(d), d]))('%s: text and JSON identical either way', async (_name, dir) => {
    const r = await analyzeCaptures([dir]);
    const text = expectBothPathsAgree(r.analysis, r.flowsById);
    // Legs are printed with their tuples, whichever path made them.
    for (const c of r.analysis.correlations) for (const id of c.legs) expect(text).toMatch(new RegExp(`, ${id}(, replies only)?\\)`));
  });

  it('a selection covers only the flows its conversations name, either way', async () => {
    const r = await analyzeCaptures([path.join(capturesDir, '04-port-collision')]);
    const sel = parseSelection(['172.17.0.3'], undefined);
    if (typeof sel === 'string') throw new Error(sel);
    const picked = selectConversations(r.analysis, r.flowsById, sel);
    const text = expectBothPathsAgree(picked, r.flowsById);
    const named = new Set(picked.correlations.flatMap((c) => c.legs));
    expect(named.size).toBeGreaterThan(0);
    expect(picked.flows.map((f) => f.id).sort()).toEqual(expect.arrayContaining([...named].sort()));
    expect(text.replace(/\s+/g, ' ')).toContain('selected by --match 172.17.0.3');
  });
});
