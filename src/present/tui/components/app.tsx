import { useEffect, useMemo, useReducer, useRef } from 'react';
import { Box, Text, useApp } from 'ink';
import type { Correlation, FlowSummary } from '../../../correlate/model.js';
import type { Flow } from '../../../flows/flow.js';
import { isLinkControl } from '../../../flows/link-control.js';
import { buildRows, flowIndex, visibleIndices, type ListRow } from '../list-rows.js';
import { initialUiState, windowTop, type UiState } from '../ui-state.js';
import { appReducer, type KeyContext } from '../key-bindings.js';
import { buildDetailLines } from '../detail-lines.js';
import { buildLadder } from '../ladder.js';
import { payloadLines, type FlowPackets } from '../flow-packets.js';
import type { TuiLoader } from '../load-source.js';
import { wrapLines, type StyledLine } from '../styled-line.js';
import { makeTheme, ThemeContext } from '../theme.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { useAnalysisLoad } from '../hooks/use-analysis-load.js';
import { useFlowPackets } from '../hooks/use-flow-packets.js';
import { useKeyPresses } from '../hooks/use-key-presses.js';
import { headerHeight, SummaryHeader } from './summary-header.js';
import { CorrelationList, ListHeader } from './correlation-list.js';
import { LinesPane } from './lines-pane.js';
import { HelpOverlay } from './help-overlay.js';

export interface AppProps {
  loader: TuiLoader;
  noColor: boolean;
  /** Initial UI state (tests start in a given view). */
  initial?: Partial<UiState>;
  /**
   * Enter while loading: end the reading and show what was read (a live capture from a pipe
   * goes on until its writer stops; this is how to look without waiting for that).
   */
  onStopReading?: () => void;
}

const FOOTER_H = 1;

function packetPaneLines(flow: Flow | null, legIndex: number, legCount: number, packets: FlowPackets | null): StyledLine[] {
  if (!flow) return [{ text: 'flow details not available', tone: 'dim' }];
  const lines: StyledLine[] = [
    { text: `leg ${legIndex + 1}/${legCount} · ${flow.id} on ${flow.iface} · ${flow.file}`, tone: 'title' },
  ];
  if (!packets) lines.push({ text: 'reading packets from the capture…', tone: 'dim' });
  else {
    for (const l of packets.lines) lines.push({ text: l });
    if (packets.lines.length === 0) lines.push({ text: 'no packets found in the capture for this flow', tone: 'dim' });
    if (packets.truncated) lines.push({ text: '(list cut short)', tone: 'dim' });
    if (packets.error) lines.push({ text: `error: ${packets.error}`, tone: 'bad' });
  }
  const fwd = payloadLines(flow.fwd.prefix, 40);
  const rev = payloadLines(flow.rev.prefix, 40);
  if (fwd.length) lines.push({ text: '' }, { text: `payload → (${flow.fwd.streamBytes} B from the initiator)`, tone: 'title' }, ...fwd.map((t) => ({ text: `  ${t}` })));
  if (rev.length) lines.push({ text: '' }, { text: `payload ← (${flow.rev.streamBytes} B from the responder)`, tone: 'title' }, ...rev.map((t) => ({ text: `  ${t}` })));
  return lines;
}

function offsetsUs(legs: readonly Flow[], captures: { file: string; clockOffset: number | null }[]): number[] {
  return legs.map((f) => {
    const c = captures.find((x) => x.file === f.file);
    return c && c.clockOffset !== null ? -c.clockOffset * 1e6 : 0;
  });
}

export function App({ loader, noColor, initial, onStopReading }: AppProps) {
  const { exit } = useApp();
  const { columns, rows: termRows } = useTerminalSize();
  const load = useAnalysisLoad(loader);
  const [ui, dispatch] = useReducer(appReducer, { ...initialUiState, ...initial });
  const theme = useMemo(() => makeTheme(noColor), [noColor]);

  const analysis = load.data?.analysis ?? null;
  const captureErrors = load.data?.errors ?? [];
  const rows = useMemo<ListRow[]>(() => (analysis ? buildRows(analysis) : []), [analysis]);
  const ifacesNeeded = useMemo(() => rows.reduce((m, r) => Math.max(m, r.ifaces.join(',').length), 0), [rows]);
  const rowById = useMemo(() => new Map(rows.map((r) => [r.id, r])), [rows]);
  const summaries = useMemo<Map<string, FlowSummary>>(() => (analysis ? flowIndex(analysis) : new Map()), [analysis]);
  const corrById = useMemo(() => new Map<string, Correlation>((analysis?.correlations ?? []).map((c) => [c.id, c])), [analysis]);
  // Rows whose every leg is neighbor discovery, MLD or IGMP: on every link, never NATed.
  const noise = useMemo(() => {
    const ids = new Set<string>();
    for (const r of rows) {
      const legs = r.legs.map((id) => load.flowsById.get(id));
      if (legs.length > 0 && legs.every((f) => f !== undefined && isLinkControl(f))) ids.add(r.id);
    }
    return ids;
  }, [rows, load.flowsById]);
  const indices = useMemo(() => visibleIndices(rows, ui.filter, ui.sort, ui.showNoise ? undefined : noise), [rows, ui.filter, ui.sort, ui.showNoise, noise]);

  // Ink clears the whole screen on every frame once the output reaches the terminal's height.
  const height = Math.max(8, termRows - 1);
  const width = Math.max(40, columns);
  const bodyH = height - headerHeight(captureErrors.length) - FOOTER_H;
  const listH = Math.max(1, bodyH - 2);
  const paneH = Math.max(1, bodyH - 1);

  const openRow = ui.openId ? (rowById.get(ui.openId) ?? null) : null;
  const legCount = openRow?.legs.length ?? 0;
  const leg = Math.min(ui.leg, Math.max(0, legCount - 1));
  const legFlow = openRow ? (load.flowsById.get(openRow.legs[leg]) ?? null) : null;
  const packets = useFlowPackets(legFlow, ui.view === 'item' && ui.pane === 'packets');

  const paneLines = useMemo<StyledLine[]>(() => {
    if (!openRow || ui.view !== 'item') return [];
    if (ui.pane === 'detail') return wrapLines(buildDetailLines(openRow, corrById.get(openRow.id) ?? null, summaries, leg, width), width);
    if (ui.pane === 'ladder') {
      const legs = openRow.legs.map((id) => load.flowsById.get(id)).filter((f): f is Flow => f !== undefined);
      if (legs.length === 0) return [{ text: 'no packet samples loaded for this item', tone: 'dim' }];
      const hops = corrById.get(openRow.id)?.hops ?? [];
      return buildLadder({ legs, hops, offsetsUs: offsetsUs(legs, analysis?.captures ?? []) }, width).map((l) => ({
        text: l.text,
        tone: l.kind === 'header' ? 'title' : l.kind === 'hop' ? 'warn' : l.kind === 'note' ? 'dim' : undefined,
      }));
    }
    return packetPaneLines(legFlow, leg, legCount, packets);
  }, [openRow, ui.view, ui.pane, corrById, summaries, leg, width, load.flowsById, analysis, legFlow, legCount, packets]);

  useEffect(() => {
    if (ui.quit) exit();
  }, [ui.quit, exit]);
  // Nothing was loaded, so nothing to browse: leave at once, the error going to whoever mounted
  // the App (runTui rethrows it, and the command prints it once the terminal is restored).
  useEffect(() => {
    if (load.error) exit(load.error);
  }, [load.error, exit]);
  useEffect(() => {
    dispatch({ type: 'clamp', count: indices.length, height: listH });
  }, [indices.length, listH]);

  const cursorRow = indices.length > 0 ? rows[indices[Math.min(ui.cursor, indices.length - 1)]] : null;
  const ctx: KeyContext = {
    count: indices.length,
    listHeight: listH,
    idAt: (i) => (i >= 0 && i < indices.length ? rows[indices[i]].id : null),
    legs: legCount,
    scrollMax: Math.max(0, paneLines.length - paneH),
    paneHeight: paneH,
  };
  // Keys are resolved inside the reducer against the latest state; the context is the latest render's.
  const ctxRef = useRef(ctx);
  ctxRef.current = ctx;
  const loading = analysis === null && load.error === null;
  const loadingRef = useRef(loading);
  loadingRef.current = loading;
  const uiRef = useRef(ui);
  uiRef.current = ui;
  const stopAsked = useRef(false);
  useKeyPresses((input, key) => {
    // Enter applies a filter being typed; otherwise, while loading, it opens nothing (the list is empty).
    if (key.return && loadingRef.current && onStopReading !== undefined && uiRef.current.filterDraft === null && !uiRef.current.help) {
      stopAsked.current = true;
      onStopReading();
      return;
    }
    dispatch({ type: 'key', input, key, ctx: ctxRef.current });
  });

  const top = windowTop(ui.cursor, ui.top, listH, indices.length);
  const scroll = Math.min(ui.scroll, ctx.scrollMax);
  let body;
  if (ui.help) body = <HelpOverlay height={bodyH} />;
  else if (ui.view === 'item' && openRow) {
    const corr = corrById.get(openRow.id);
    const tabs = (['detail', 'ladder', 'packets'] as const).map((p) => (p === ui.pane ? `[${p}]` : ` ${p} `)).join(' ');
    const title = `${openRow.id} ${openRow.mechanism}${corr ? ` conf ${corr.confidence.toFixed(2)}` : ''} │ ${tabs} │ leg ${leg + 1}/${legCount}`;
    body = (
      <Box flexDirection="column" height={bodyH}>
        <Text bold color={theme.accent} wrap="truncate-end">
          {title}
        </Text>
        <LinesPane lines={paneLines} top={scroll} height={paneH} />
      </Box>
    );
  } else {
    const preview = cursorRow ? `${cursorRow.id}: ${cursorRow.entry}  ⇒  ${cursorRow.final}  [${cursorRow.state}]` : ' ';
    body = (
      <Box flexDirection="column" height={bodyH}>
        <ListHeader width={width} ifacesNeeded={ifacesNeeded} />
        <CorrelationList rows={rows} indices={indices} cursor={ui.cursor} top={top} height={listH} width={width} ifacesNeeded={ifacesNeeded} />
        <Text wrap="truncate-end" dimColor={theme.dim}>
          {preview}
        </Text>
      </Box>
    );
  }

  let footer: string;
  if (ui.filterDraft !== null) footer = `/${ui.filterDraft}█  (Enter apply · Esc cancel)`;
  else if (ui.view === 'item') footer = 'Tab pane · ←/→ leg · j/k scroll · Esc back · ? help · q quit';
  else if (loading && stopAsked.current) footer = 'reading stopped: analyzing what was read · q quit';
  else if (loading && onStopReading !== undefined) footer = 'waiting for results · Enter stops reading and analyzes what was read · q quit';
  else {
    const shown = analysis ? `${indices.length}/${rows.length} shown` : load.error ? 'loading failed' : 'waiting for results';
    const noiseText = noise.size === 0 ? '' : ui.showNoise ? ' · n hides link-local control' : ` · ${noise.size} link-local control hidden (n)`;
    footer = `${shown}${noiseText} · sort ${ui.sort}${ui.filter ? ` · filter "${ui.filter}"` : ''} · Enter open · / filter · s sort · ? help · q quit`;
  }

  return (
    <ThemeContext.Provider value={theme}>
      <Box flexDirection="column" width={width} height={height}>
        <SummaryHeader analysis={analysis} progress={load.progress} rate={load.rate} error={load.error?.message ?? null} captureErrors={captureErrors} />
        {body}
        <Text wrap="truncate-end" inverse>
          {footer.padEnd(width)}
        </Text>
      </Box>
    </ThemeContext.Provider>
  );
}
