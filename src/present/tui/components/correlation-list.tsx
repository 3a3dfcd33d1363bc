import { Box, Text } from 'ink';
import type { ListRow } from '../list-rows.js';
import { fit, fitRight } from '../text-fit.js';
import { keptSide, tupleCell, type KeptSide, type TupleEnds } from '../tuple-cell.js';
import { useTheme } from '../theme.js';

export interface ListLayout {
  mech: number;
  entry: number;
  final: number;
  ifaces: number;
  conf: number;
  packets: number;
  state: number;
}

/**
 * Column widths for a terminal `width` wide. The interfaces column is as wide as the widest
 * entry needs (up to 16), the tuples share the rest; the state column only when there is room.
 */
export function listLayout(width: number, ifacesNeeded = 12): ListLayout {
  const mech = 15;
  const conf = 5;
  const packets = 6;
  const state = width >= 120 ? 14 : 0;
  const rest = Math.max(30, width - 1 - mech - conf - packets - state);
  const ifaces = Math.min(16, Math.max(7, ifacesNeeded + 1), Math.floor(rest / 3));
  const entry = Math.floor((rest - ifaces) / 2);
  return { mech, entry, final: rest - ifaces - entry, ifaces, conf, packets, state };
}

function cells(l: ListLayout, mech: string, entry: string, final: string, ifaces: string, conf: string, pk: string, state: string): string {
  // Every column keeps one blank on its right so neighbours never run together.
  const col = (t: string, w: number): string => `${fit(t, w - 1)} `;
  let s = col(mech, l.mech) + col(entry, l.entry) + col(final, l.final) + col(ifaces, l.ifaces) + fitRight(conf, l.conf) + fitRight(pk, l.packets);
  if (l.state > 0) s += ` ${fit(state, l.state - 1)}`;
  return s;
}

/**
 * A row's tuple cell `width` wide (its blank excluded): `a→b` without the spaces where it fits,
 * else cut so as to keep the side the NAT rewrote (tuple-cell.ts).
 */
function tupleText(ends: TupleEnds | null, width: number, keep: KeptSide): string {
  return ends ? tupleCell(ends, width, keep) : '?';
}

export function ListHeader({ width, ifacesNeeded }: { width: number; ifacesNeeded: number }) {
  const l = listLayout(width, ifacesNeeded);
  return (
    <Text bold wrap="truncate-end">
      {` ${cells(l, 'MECHANISM', 'ENTRY', 'FINAL', 'IFACES', 'CONF', 'PKTS', 'STATE')}`}
    </Text>
  );
}

/** Renders rows indices[top .. top+height) only: the list may hold 100,000 rows. */
export function CorrelationList(props: {
  rows: readonly ListRow[];
  indices: readonly number[];
  cursor: number;
  top: number;
  height: number;
  width: number;
  ifacesNeeded: number;
}) {
  const { rows, indices, cursor, top, height, width } = props;
  const theme = useTheme();
  const l = listLayout(width, props.ifacesNeeded);
  const end = Math.min(indices.length, top + height);
  const out = [];
  for (let i = top; i < end; i++) {
    const r = rows[indices[i]];
    const sel = i === cursor;
    const keep = keptSide(r.mechanism);
    const text = cells(
      l,
      r.mechanism,
      tupleText(r.entryEnds, l.entry - 1, keep),
      tupleText(r.finalEnds, l.final - 1, keep),
      r.ifaces.join(','),
      r.confidence === null ? '-' : r.confidence.toFixed(2),
      String(r.packets),
      r.state,
    );
    out.push(
      <Text key={i} wrap="truncate-end" inverse={sel} color={sel ? undefined : theme.mechanism(r.mechanism)}>
        {`${sel ? '>' : ' '}${text}`}
      </Text>,
    );
  }
  return (
    <Box flexDirection="column" height={height}>
      {indices.length === 0 ? <Text>  (nothing matches)</Text> : out}
    </Box>
  );
}
