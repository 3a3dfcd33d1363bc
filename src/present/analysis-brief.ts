import type { Flow } from '../flows/flow.js';
import { linkControlName, splitLinkControl } from '../flows/link-control.js';
import { LOCAL_DNAT_NOTE, type Analysis, type Correlation } from '../correlate/model.js';
import { repliesOnly, type FlowBrief } from '../correlate/flow-summary.js';
import { flowBriefs } from './flow-briefs.js';
import { hopMechanismsOf } from '../correlate/lazy-correlation.js';
import { palette } from './colour.js';
import { sanitizeText as clean } from './sanitize.js';
import { appText } from './app-text.js';

export interface AnalysisBriefOptions {
  color: boolean;
}

/**
 * `natflow analyze --brief`: a line per conversation, as tcpdump prints a line per packet and
 * Zeek's conn.log one per connection, for a busy host's thousands, for grep and for CI logs.
 * Each line: id, mechanism, confidence, then the path, capture point by capture point, with
 * what changed the tuple between them (`=dnat=>`); capture points that saw the same tuple (a
 * bridge and the container's veth) share one entry. Unpaired flows follow, then the summary's
 * and the inferences' lines, each starting with `#`. Nothing is wrapped.
 */
export function* analysisBriefChunks(a: Analysis, flows: Map<string, Flow>, opts: AnalysisBriefOptions): Generator<string, void, undefined> {
  const p = palette(opts.color);
  // Correlation ids grow with their number; flow ids are listed in time order, not by number.
  let idWidth = Math.max(3, a.correlations.at(-1)?.id.length ?? 0);
  for (const id of a.unpaired) idWidth = Math.max(idWidth, id.length);
  const head = (id: string, what: string, mechanism: Correlation['mechanism'] | null): string =>
    `${p.bold(clean(id).padEnd(idWidth))}  ${mechanism === null ? p.dim(what.padEnd(14)) : p.mechanism(mechanism, what.padEnd(14))}`;
  const briefOf = flowBriefs(a, flows);
  yield `${p.bold('# natflow analysis:')} ${oneLine(a.summary)}\n`;
  let block = '';
  for (const c of a.correlations) {
    block += `${head(c.id, c.mechanism, c.mechanism)}  ${c.confidence.toFixed(2)}  ${pathText(c, flows, briefOf)}\n`;
    // A chunk per few hundred lines: tens of thousands of conversations in one string would cost
    // more memory than the analysis.
    if (block.length > 32768) {
      yield block;
      block = '';
    }
  }
  const split = splitLinkControl(a.unpaired, flows);
  for (const [ids, what] of [[split.rest, 'unpaired'], [split.control, 'link-local']] as const) {
    for (const id of ids) {
      const f = flows.get(id);
      const b = briefOf(id);
      if (f === undefined || b === undefined) continue;
      const control = what === 'link-local' ? linkControlName(f) : null;
      block += `${head(id, what, null)}  ${clean(b.iface)} ${b.proto} ${b.src} → ${b.dst} ${b.packets} pkts ${b.state}${control === null ? '' : `, ${control}`}${clean(appText(b))}\n`;
      if (block.length > 32768) {
        yield block;
        block = '';
      }
    }
  }
  for (const i of a.inferences) block += `${p.dim(`# ${oneLine(i)}`)}\n`;
  yield block;
}

/** Capture-derived text on one line: terminal controls stripped, line breaks made spaces. */
function oneLine(s: string): string {
  return clean(s.replace(/[\r\n]+/g, ' '));
}

/**
 * The legs in path order: `lo 127.0.0.1:40000 → 127.0.0.1:5000 =userland-proxy=> docker0,veth1
 * 172.17.0.1:40000 → 172.17.0.2:5000 [HTTP GET / 200]`.
 */
function pathText(c: Correlation, flows: Map<string, Flow>, briefOf: (id: string) => FlowBrief | undefined): string {
  const hops = hopMechanismsOf(c);
  const aligned = hops.length === c.legs.length - 1;
  let out = '';
  let ifaces = '';
  let tuple = '';
  let app = '';
  const close = (): void => {
    if (tuple !== '') out += `${ifaces} ${tuple}`;
  };
  for (let i = 0; i < c.legs.length; i++) {
    const f = flows.get(c.legs[i]);
    const b = briefOf(c.legs[i]) ?? null;
    const iface = b === null ? '?' : clean(b.iface);
    const t = b === null ? c.legs[i] : `${b.src} → ${b.dst}${repliesOnly(f) ? ' (replies only)' : ''}`;
    if (app === '' && b !== null) app = clean(appText(b));
    const hop = i === 0 ? null : aligned ? hops[i - 1] : null;
    if (i > 0 && hop === 'bridge' && t === tuple) {
      ifaces += `,${iface}`;
      continue;
    }
    close();
    if (i > 0) out += hop === null ? ' => ' : ` =${hop}=> `;
    ifaces = iface;
    tuple = t;
  }
  close();
  // The rewrite that made it was on no capture point (a host process to its own address): said,
  // or the line would show a DNAT conversation with no rewrite in it.
  const before = c.notes.some((n) => n.startsWith(LOCAL_DNAT_NOTE)) ? '(DNAT in nat OUTPUT, on no capture point) ' : '';
  return `${before}${out}${app}`;
}
