/**
 * The ladder's non-linear time scale. Packets of one exchange are microseconds apart while the
 * pauses between exchanges last seconds: a linear scale makes either a blur or a mile-long
 * page. Each event gets one row; the pause before it adds rows growing with the logarithm of
 * its length, capped, and pauses of a second or more are flagged for a visible break.
 */

/** Pauses shorter than this add no space. */
export const GAP_FLOOR_US = 100;
/** Largest extra space before an event, in rows. */
export const MAX_GAP_ROWS = 3;
/** Pauses at least this long are drawn as a break in the time axis. */
export const TIME_BREAK_US = 1_000_000;

/** Extra rows before an event that comes `dtUs` after the previous one: 1 ms ≈ 0.7, 10 ms ≈ 1.4, 100 ms ≈ 2.1, 1 s ≈ 2.8, at most 3. */
export function gapRows(dtUs: number): number {
  if (!(dtUs > GAP_FLOOR_US)) return 0;
  const rows = Math.log10(dtUs / GAP_FLOOR_US) * 0.7;
  return Math.min(MAX_GAP_ROWS, Math.round(rows * 100) / 100);
}

/** `+0.000 ms`, `+12.345 ms`, `+3.210 s`: relative time as printed beside a row. */
export function formatRelative(us: number): string {
  if (us < 1_000_000) return `+${(us / 1000).toFixed(3)} ms`;
  return `+${(us / 1e6).toFixed(3)} s`;
}

/** `72 µs`, `7.03 ms`, `1.20 s`: a duration as printed in a time break. */
export function formatDuration(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(2)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
}
