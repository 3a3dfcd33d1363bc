import { basename } from 'node:path';
import { Box, Text } from 'ink';
import type { Analysis } from '../../../correlate/model.js';
import { selectionArgs, type SelectedAnalysis } from '../../select-conversations.js';
import type { TuiProgress } from '../load-source.js';
import type { CaptureError } from '../../../read/capture-error.js';
import { formatBytes, formatCount } from '../text-fit.js';
import { useTheme } from '../theme.js';

export function summaryLines(a: Analysis): [string, string] {
  const ifaces = [...new Set(a.captures.flatMap((c) => c.interfaces))];
  const counts = new Map<string, number>();
  for (const c of a.correlations) counts.set(c.mechanism, (counts.get(c.mechanism) ?? 0) + 1);
  const mech = [...counts].map(([m, n]) => `${m} ${n}`).join(', ');
  const first = `${a.captures.length} capture${a.captures.length === 1 ? '' : 's'} · ifaces ${ifaces.join(' ') || '-'} · ${a.correlations.length} correlated${mech ? ` (${mech})` : ''}, ${a.unpaired.length} unpaired`;
  const offsets = a.captures
    .filter((c) => c.clockOffset !== null)
    .map((c) => `${basename(c.file)} ${c.clockOffset! >= 0 ? '+' : ''}${(c.clockOffset! * 1000).toFixed(3)}ms`);
  // A selection comes first on the second line: the list is not the whole capture.
  const second = `${selectionText(a)}clock offsets: ${offsets.length ? offsets.join(', ') : 'none measured'}`;
  return [first, second];
}

/** Lines the header takes: a third names the captures cut short. */
export function headerHeight(captureErrors: number): number {
  return captureErrors > 0 ? 3 : 2;
}

/**
 * The captures cut short, file and byte offset first so that a narrow terminal still shows them
 * (the command prints the full paths when the user quits); the list holds what was read before.
 */
export function cutShortText(errors: readonly CaptureError[]): string {
  return `cut short: ${errors.map((e) => `${basename(e.file)} at byte ${e.offset} (${e.reason})`).join(' · ')}`;
}

/** With --match / --mechanism: what was selected, out of how many. */
function selectionText(a: Analysis): string {
  if (!('selection' in a)) return '';
  const s = (a as SelectedAnalysis).selection;
  return `selected by ${selectionArgs(s)} (of ${s.conversations.total} correlated, ${s.unpaired.total} unpaired) · `;
}

export function progressText(p: TuiProgress, rate: number): string {
  if (p.phase === 'correlating') return `correlating ${formatCount(p.packets)} packets…`;
  return `reading ${basename(p.file)} (${p.fileIndex + 1}/${p.fileCount}) · ${formatBytes(p.bytesRead)} · ${formatCount(p.packets)} packets · ${formatCount(rate)} pkts/s`;
}

export function SummaryHeader(props: {
  analysis: Analysis | null;
  progress: TuiProgress | null;
  rate: number;
  error: string | null;
  captureErrors: readonly CaptureError[];
}) {
  const theme = useTheme();
  const { analysis, progress, rate, error, captureErrors } = props;
  const [l1, l2] = analysis ? summaryLines(analysis) : ['loading captures…', ''];
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold color={theme.accent}>
          natflow
        </Text>
        {` ${l1}`}
      </Text>
      {error ? (
        <Text wrap="truncate-end" color={theme.bad}>{`error: ${error}`}</Text>
      ) : progress ? (
        <Text wrap="truncate-end" color={theme.warn}>
          {progressText(progress, rate)}
        </Text>
      ) : (
        <Text wrap="truncate-end" dimColor={theme.dim}>
          {l2 || ' '}
        </Text>
      )}
      {captureErrors.length > 0 ? (
        <Text wrap="truncate-end" color={theme.bad}>
          {cutShortText(captureErrors)}
        </Text>
      ) : null}
    </Box>
  );
}
