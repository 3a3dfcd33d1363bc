import { describe, expect, it } from 'vitest';
import mermaid from 'mermaid';
import { renderReport } from '../../src/present/report/index.js';
import { correlationMermaid } from '../../src/present/mermaid.js';
import { analyze, correlationSections } from './scenarios.js';
import { HOSTILE_PATH, hostileCaptures } from './hostile-capture.js';

describe('capture-controlled text cannot inject markup', () => {
  it('a <script> in an HTTP path is shown escaped in the report and in the Mermaid diagram', async () => {
    const files = hostileCaptures();
    const { analysis, flowMap } = await analyze(files);
    // The rewritten request still reaches the report as a proxied conversation with that path.
    expect(analysis.correlations.map((c) => c.mechanism)).toEqual(['userland-proxy']);
    expect(analysis.flows.map((f) => f.app?.http?.path)).toContain(HOSTILE_PATH);

    const html = renderReport(analysis, flowMap);
    expect(html.match(/<script/gi)).toHaveLength(1);
    expect(html).not.toContain('<script>x');
    expect(html).not.toContain(`"'>`);
    const escaped = '/&quot;&#39;&gt;&lt;script&gt;x&lt;/script&gt;';
    const section = correlationSections(html)[0];
    // In the summary line, the legs table, the filter attribute and the SVG ladder's HTTP line.
    expect(section).toContain(`GET ${escaped} 200`);
    expect(section).toMatch(/data-search="[^"]*&lt;script&gt;x/);
    expect(section).toMatch(new RegExp(`<text class="app-line"[^>]*>GET ${escaped.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} HTTP/1.1</text>`));

    const m = correlationMermaid(analysis.correlations[0], flowMap);
    expect(m).not.toMatch(/[<>]script/);
    expect(m).toContain('‹script›x‹/script›');
    await expect(mermaid.parse(m)).resolves.toMatchObject({ diagramType: 'sequence' });
  });
});
