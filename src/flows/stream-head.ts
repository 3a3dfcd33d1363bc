/**
 * The first bytes of one direction of a stream, where the capture kept them at their own offsets.
 * A direction's prefix is the bytes the reassembler kept, joined: when the capture did not keep
 * every byte (a snaplen cut the packets short, packets were lost), the bytes after the first gap
 * sit at other offsets than the prefix says, and a parser reading across would join two pieces
 * of the stream into a line or a record that was never sent.
 */
import type { DirectionStats } from './flow.js';

const EMPTY = new Uint8Array(0);

/** The prefix up to the first gap. */
export function knownHead(d: Pick<DirectionStats, 'prefix' | 'gapList' | 'gapBytes'>): Uint8Array {
  if (d.gapList.length === 0) return d.gapBytes > 0 ? EMPTY : d.prefix;
  const known = d.gapList[0].offset;
  return known >= d.prefix.length ? d.prefix : d.prefix.subarray(0, known);
}

/** Whether the stream goes on past its known head into bytes the capture did not keep. */
export function headCut(d: Pick<DirectionStats, 'prefix' | 'gapList' | 'gapBytes'>): boolean {
  return d.gapBytes > 0 && (d.gapList.length === 0 || d.gapList[0].offset <= d.prefix.length);
}
