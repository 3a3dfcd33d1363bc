/**
 * The whole `natflow analyze` pipeline, for the CLI, the bench and the tests: load the captures
 * (../flows/load-captures.ts), correlate, add side evidence, explain.
 */
import type { CaptureError } from '../read/capture-error.js';
import type { Flow } from '../flows/flow.js';
import { inputName, loadCaptures, type LoadOptions, type LoadResult, type LoadStopped } from '../flows/load-captures.js';
import type { IfindexNames } from '../flows/interface-names.js';
import type { Analysis } from './model.js';
import { correlate, type CaptureInput } from './correlate.js';
import { applySideInputs } from './side-inputs.js';
import { readConntrackFile, readRulesFile, type ConntrackFile, type RulesFile } from './side-files.js';
import { defineLazy } from './lazy-field.js';
import { flowEndpointTexts, protoName } from './flow-summary.js';
import { isLinkControl, linkControlKind } from '../flows/link-control.js';
import { findEntryByReply, forwardDropRule, ipVersion, prerouteDnatRule, rulesLackVersion, type ForwardedPacket, type HopTuple } from './rules/index.js';
import { captureContext, droppedRequestText, explainCorrelation, explainUnpairedFlow, summarizeAnalysis } from '../explain/index.js';

/** Stream prefix kept per flow direction by analyze (HTTP headers, TLS ClientHello, TUI payload view). */
export const ANALYZE_PREFIX_BYTES = 4096;

export interface AnalyzeOptions {
  /**
   * Paths of `--rules` / `--conntrack` files: one, or several read as one (an iptables-save and an
   * ip6tables-save dump; `conntrack -L` of each family).
   */
  rulesFile?: string | readonly string[] | null;
  conntrackFile?: string | readonly string[] | null;
  /** The same side files already read (the CLI reads each once: a `<(…)` pipe is empty after). */
  rules?: readonly RulesFile[];
  conntrack?: readonly ConntrackFile[];
  /**
   * Dumps found beside the captures (in a capture directory) and not given: the inferences that
   * say what went without them name these, with the option that reads them.
   */
  sideFilesBeside?: { rules: readonly string[]; conntrack: readonly string[] };
  ifindexNames?: IfindexNames;
  version?: string;
  flowOptions?: LoadOptions['flowOptions'];
  /** Called while the captures are read (the TUI shows bytes read and packets/s). */
  onProgress?: LoadOptions['onProgress'];
  /** Stops the analysis (it rejects with the signal's reason): the TUI quit before it ended. */
  signal?: AbortSignal;
  /** Ends the reading where it is and analyzes what was read (Ctrl-C on a live capture). */
  stop?: AbortSignal;
}

export interface AnalyzeResult {
  analysis: Analysis;
  flows: Flow[];
  flowsById: Map<string, Flow>;
  /** Capture faults in argument order; what was read before each still counts. */
  errors: CaptureError[];
  /** Where `stop` ended the reading, when it did: the analysis covers what came before. */
  stopped: LoadStopped | null;
  bytesRead: number;
  /** CPU time of each stage in this process, milliseconds (the bench reports them). */
  cpuMs: { load: number; correlate: number; explain: number };
  /**
   * Why an unpaired flow has no counterpart, first the flow itself (for the text output's list),
   * with what only the whole input knows: copies of it in other files, the side inputs.
   */
  explainUnpaired: (f: Flow) => string[];
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function captureInputs(loaded: LoadResult): CaptureInput[] {
  return loaded.captures.map((c) => ({
    file: c.file,
    format: c.format,
    linktype: c.linktypes,
    interfaces: [...new Set(c.interfaces.map((i) => i.name))],
    packets: c.packets,
    packetsCut: c.packetsCut,
    snaplen: c.snaplen,
    error: c.error ? c.error.message : null,
  }));
}

export async function analyzeCaptures(args: readonly string[], opts: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const t0 = cpuMs();
  // The correlator compares whole-stream digests, never prefix bytes; presenters read only the
  // first request / response / ClientHello from them. 4 KiB per direction keeps memory per flow small.
  const flowOptions = { prefixBytes: ANALYZE_PREFIX_BYTES, ...opts.flowOptions };
  const loaded = await loadCaptures(args, { ifindexNames: opts.ifindexNames, flowOptions, onProgress: opts.onProgress, signal: opts.signal, stop: opts.stop });
  opts.signal?.throwIfAborted();
  // Side files are read before correlating so an unreadable one fails fast (a plain Error: bad argument).
  const rules = [...(opts.rules ?? []), ...pathsOf(opts.rulesFile).map(readRulesFile)];
  const conntrack = [...(opts.conntrack ?? []), ...pathsOf(opts.conntrackFile).map(readConntrackFile)];
  const t1 = cpuMs();
  const { analysis, flowsById, hopTuples, explainWith, bridgePorts, unpairedCopies } = correlate(loaded.flows, captureInputs(loaded), { version: opts.version });
  const t2 = cpuMs();
  if (loaded.stopped !== null) analysis.inferences.unshift(stoppedText(loaded.stopped));
  const parsed = applySideInputs(analysis, hopTuples, { rules, conntrack, beside: opts.sideFilesBeside }, new Set(loaded.flows.map((f) => f.dst.port).filter((p) => p >= 0)));
  const ruleSet = parsed.rules;
  const entries = parsed.conntrack;

  // Explanations and the summary are prose for presenters: written when first read, from the
  // analysis as it stands now (side inputs applied).
  // The explanations walk the rules too: which filter rule dropped what the host forwarded.
  const forwardDrop = ruleSet === null ? undefined : (p: ForwardedPacket) => forwardDropRule(ruleSet, p);
  const dnatFor = ruleSet === null ? undefined : (t: HopTuple, inIface: string) => prerouteDnatRule(ruleSet, t, inIface);
  const lacking = new Set(ruleSet === null ? [] : ([4, 6] as const).filter((v) => rulesLackVersion(ruleSet, v)));
  const rulesLack = (ip: string) => lacking.has(ipVersion(ip));
  const copiesOf = (f: Flow): Flow[] => (unpairedCopies.get(f.id) ?? []).map((id) => flowsById.get(id)).filter((x): x is Flow => x !== undefined);
  // With --conntrack, the tuple a connection was opened with, found by what the far side of its
  // NAT shows (the entry's reply direction): DNAT in nat OUTPUT leaves it on no wire.
  const conntrackOpened = entries === null ? undefined : (seen: HopTuple): HopTuple | null => {
    const e = findEntryByReply(entries, seen);
    if (e === null || e.orig.sport === null || e.orig.dport === null) return null;
    return { proto: seen.proto, src: { ip: e.orig.src, port: e.orig.sport }, dst: { ip: e.orig.dst, port: e.orig.dport } };
  };
  const ctx = {
    rulesGiven: rules.length > 0, rulesLack, ...captureContext(analysis.captures), bridgePorts, forwardDrop, dnatFor, copiesOf,
    conntrackGiven: conntrack.length > 0, conntrackOpened,
  };
  explainWith((c) => explainCorrelation(c, flowsById, ctx));
  // With --rules, where an unanswered request to a published port was dropped (it has no
  // counterpart, so no conversation to tell it in).
  if (ruleSet !== null) {
    for (const id of analysis.unpaired) {
      const f = flowsById.get(id);
      const text = f === undefined ? null : droppedRequestText(f, ctx);
      if (text !== null) analysis.inferences.push(text);
    }
  }
  defineLazy(analysis, 'summary', () =>
    summarizeAnalysis(analysis, (id) => {
      const f = flowsById.get(id);
      return f === undefined ? undefined : { iface: f.iface, dst: flowEndpointTexts(f).dst, linkControl: isLinkControl(f), linkControlKind: linkControlKind(f), proto: protoName(f.proto), packets: f.fwd.packets + f.rev.packets };
    }),
  );
  const bytesRead = loaded.captures.reduce((s, c) => s + c.bytesRead, 0);
  const t3 = cpuMs();
  const explainUnpaired = (f: Flow): string[] => explainUnpairedFlow(f, ctx);
  return { analysis, flows: loaded.flows, flowsById, errors: loaded.errors, stopped: loaded.stopped, bytesRead, cpuMs: { load: t1 - t0, correlate: t2 - t1, explain: t3 - t2 }, explainUnpaired };
}

function pathsOf(paths: string | readonly string[] | null | undefined): readonly string[] {
  return typeof paths === 'string' ? [paths] : (paths ?? []);
}

/** The inference for a read ended by Ctrl-C: what the analysis does not cover. */
export function stoppedText(s: LoadStopped): string {
  const at = s.at.map((x) => `byte ${x.offset} of ${inputName(x.file)}`).join(', ');
  const unread = s.unread.length === 0 ? '' : `${at === '' ? '' : '; '}not read: ${s.unread.join(', ')}`;
  return `reading was stopped (interrupted)${at === '' ? '' : ` at ${at}`}${unread}: packets after that are not in this analysis, and connections still open then look unfinished`;
}
