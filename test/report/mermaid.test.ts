import { describe, expect, it } from 'vitest';
import mermaid from 'mermaid';
import { correlationMermaid, correlationMermaidBlock, mermaidText } from '../../src/present/mermaid.js';
import { clockOffsetsUs } from '../../src/present/ladder/index.js';
import { analyze, scenarios } from './scenarios.js';

describe('Mermaid sequenceDiagram per correlation', () => {
  it('the parser used here rejects a broken diagram (so a pass below means something)', async () => {
    await expect(mermaid.parse('sequenceDiagram\n  A->>: broken\n')).rejects.toThrow(/Parse error/);
  });

  for (const sc of scenarios()) {
    it(`${sc.name}: every diagram parses, one participant per lane, the crossing noted on the hop`, async () => {
      const { analysis, flowMap } = await analyze(sc.files);
      const offsets = clockOffsetsUs(analysis);
      for (const c of analysis.correlations) {
        const text = correlationMermaid(c, flowMap, { clockOffsetsUs: offsets });
        await expect(mermaid.parse(text), `${sc.name} ${c.id}`).resolves.toMatchObject({ diagramType: 'sequence' });
        const participants = text.split('\n').filter((l) => l.startsWith('  participant '));
        expect(participants).toHaveLength(c.legs.length + 1);
        // Each leg's interface is named over its two lanes.
        for (const id of c.legs) expect(text).toContain(`: ${flowMap.get(id)!.iface}: `);
        if (c.mechanism === 'userland-proxy') expect(text).toMatch(/Note over L\d+: docker-proxy hand-off/);
      }
      if (analysis.correlations.length > 0) expect(correlationMermaidBlock(analysis.correlations[0], flowMap)).toMatch(/^```mermaid\nsequenceDiagram\n[\s\S]*\n```$/);
    });
  }

  it('text from a capture cannot end a statement, start a directive or carry HTML', async () => {
    const hostile = 'GET /a;b#c&d HTTP/1.1\nparticipant X\n%%{init: {"theme":"dark"}}%%\nend <img src=x onerror=alert(1)> --> x';
    const line = mermaidText(hostile);
    expect(line.replace(/#\d+;/g, '')).not.toMatch(/[\n;#&<>]/);
    expect(line).toContain('HTTP/1.1 participant X');
    const diagram = `sequenceDiagram\n  participant L0 as client\n  participant L1 as server\n  L0->>L1: ${line}\n  Note over L1: ${line}`;
    await expect(mermaid.parse(diagram)).resolves.toMatchObject({ diagramType: 'sequence' });
    expect(diagram.split('\n')).toHaveLength(5);
  });
});
