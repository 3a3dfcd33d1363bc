/**
 * Mermaid `sequenceDiagram` of one correlation, for `natflow analyze --markdown`: GitHub and
 * GitLab render it as a picture when the report is pasted into an issue.
 *
 * Emits a small subset of the grammar — `participant ID as TEXT`, `ID->>ID: TEXT`,
 * `Note over ID[,ID]: TEXT` — and escapes every piece of text so nothing from a capture can end
 * a statement, open a directive or carry HTML: `;` and `#` become Mermaid entity codes (`#59;`,
 * `#35;`), `&` too, angle brackets become look-alike guillemets (‹ ›), line breaks are only the
 * `<br/>` this module writes itself.
 */
import type { Analysis, Correlation } from '../correlate/model.js';
import type { Flow } from '../flows/flow.js';
import { buildLadder, clockOffsetsUs, type BuildLadderOptions } from './ladder/build-ladder.js';
import type { Ladder } from './ladder/ladder-model.js';
import { formatRelative } from './ladder/time-scale.js';
import { sanitizeText } from './sanitize.js';

/** Packets per leg in the Markdown diagram: a pasted issue must stay readable. */
export const MERMAID_MAX_PACKETS_PER_LEG = 24;

/** Text safe inside a Mermaid sequence-diagram label (message, note or participant alias). */
export function mermaidText(s: string): string {
  // Most labels need none of the passes below (thousands of diagrams in one report).
  if (!NEEDS_MERMAID_ESCAPING.test(s)) return s;
  // One pass, so the '#' and ';' of an inserted entity code are never escaped again.
  return sanitizeText(s.replace(/[\r\n\t]+/g, ' '))
    .replace(/[&#;<>]/g, (ch) => MERMAID_ESCAPES[ch])
    .replace(/\s+/g, ' ')
    .trim();
}

/** What any pass of mermaidText would change: controls, the escaped characters, white space other than single inner spaces. */
const NEEDS_MERMAID_ESCAPING = /[\x00-\x1f\x7f-\x9f&#;<>]|[^\S ]|^ | $|  /;

const MERMAID_ESCAPES: Record<string, string> = { '&': '#38;', '#': '#35;', ';': '#59;', '<': '‹', '>': '›' };

/** The `sequenceDiagram` text of a ladder (no code fence). */
export function ladderToMermaid(l: Ladder): string {
  const out: string[] = ['sequenceDiagram'];
  const id = (lane: number): string => `L${lane}`;
  for (const lane of l.lanes) {
    const addr = lane.addresses.length > 0 ? `<br/>${lane.addresses.map(mermaidText).join('<br/>')}` : '';
    out.push(`  participant ${id(lane.index)} as ${mermaidText(lane.title)}${addr}`);
  }
  const legNoted = new Set<number>();
  for (const ev of l.events) {
    if (ev.timeBreak) out.push(`  Note over ${id(0)},${id(l.lanes.length - 1)}: ${mermaidText(`… ${formatRelative(ev.relUs)}`)}`);
    if (ev.kind === 'crossing') {
      const lines = [ev.title, ...ev.changed.map((d) => `${d.field}: ${d.from} → ${d.to} (${d.verdict})`)];
      out.push(`  Note over ${id(ev.lane)}: ${lines.map(mermaidText).join('<br/>')}`);
      continue;
    }
    if (!legNoted.has(ev.leg)) {
      legNoted.add(ev.leg);
      const leg = l.legs[ev.leg];
      out.push(`  Note over ${id(leg.fromLane)},${id(leg.toLane)}: ${mermaidText(`${leg.iface}: ${leg.src} → ${leg.dst}`)}`);
    }
    const arrow = ev.flags === 'RST' || ev.flags.startsWith('RST-') ? '-x' : '->>';
    const text = ev.app ? `${ev.label} | ${ev.app}` : ev.label;
    out.push(`  ${id(ev.fromLane)}${arrow}${id(ev.toLane)}: ${mermaidText(text)}`);
  }
  for (const n of l.notes) out.push(`  Note over ${id(0)},${id(l.lanes.length - 1)}: ${mermaidText(n)}`);
  return out.join('\n');
}

/** The Mermaid diagram of one correlation, built from its flows (first 24 packets per leg by default). */
export function correlationMermaid(c: Correlation, flows: ReadonlyMap<string, Flow>, opts: BuildLadderOptions = {}): string {
  return ladderToMermaid(buildLadder(c, flows, { maxPacketsPerLeg: MERMAID_MAX_PACKETS_PER_LEG, ...opts }));
}

/** The same, fenced for Markdown. */
export function correlationMermaidBlock(c: Correlation, flows: ReadonlyMap<string, Flow>, opts: BuildLadderOptions = {}): string {
  return `\`\`\`mermaid\n${correlationMermaid(c, flows, opts)}\n\`\`\``;
}

/**
 * The per-correlation diagram hook of `renderAnalysisMarkdown` (./analysis-markdown.ts): a fenced
 * Mermaid diagram per correlation, times corrected by the analysis' clock offsets.
 */
export function mermaidDiagramHook(a: Pick<Analysis, 'captures'>): (c: Correlation, flows: ReadonlyMap<string, Flow>) => string {
  const offsets = clockOffsetsUs(a);
  return (c, flows) => correlationMermaidBlock(c, flows, { clockOffsetsUs: offsets });
}
